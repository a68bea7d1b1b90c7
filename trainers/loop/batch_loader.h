// Batches of one epoch for this rank, prepared ahead by a background thread (per-rank
// prefetching: the training step does not wait on gathering and copying when the data can keep
// up). Order and content depend only on the EpochPlan, never on timing.
#pragma once

#include <torch/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "datasets/epoch_plan.h"
#include "datasets/rank_shards.h"

namespace galien {

class TrainingTask;  // trainers/tasks/task.h: which targets a batch carries

// One rank's part of a global batch. Tensors the task or data do not have stay undefined; the
// task (trainers/tasks/) reads its own fields.
struct Batch {
  torch::Tensor features;  // [n, num_features] float32 (undefined without clinical features)
  torch::Tensor image;     // [n, C, (D,) H, W] float32 (undefined without images)
  torch::Tensor labels;    // [n] int64: class index (classification)
  torch::Tensor time;      // [n] float32 (survival)
  torch::Tensor event;     // [n] float32, 0 or 1 (survival)
  torch::Tensor target;    // [n] float32, raw units (regression)
  torch::Tensor mask;      // [n, (D,) H, W] int64: a label per voxel (segmentation patches)
  torch::Tensor weights;   // [n] float32: 1 for real samples, 0 for padding
  std::int64_t num_real = 0;
  std::int64_t global_real = 0;

  Batch to(torch::Device device) const;  // non-blocking copies
};

// Gathers `part`'s samples into CPU tensors (pinned when `pin` for fast GPU copies).
Batch load_batch(const RankShards& shards, const RankBatch& part, const TrainingTask& task,
                 bool pin = false);

// Applied to each training batch in the loader thread, on the CPU (augmentation).
using BatchTransform = std::function<void(Batch&, const RankBatch&)>;

class BatchLoader {
 public:
  // Batches first_batch .. plan.num_batches()-1, `prefetch` ahead (0 = on demand).
  BatchLoader(const RankShards& shards, const EpochPlan& plan, const TrainingTask& task,
              std::int64_t first_batch, int prefetch, torch::Device device,
              BatchTransform transform = {});
  ~BatchLoader();
  Batch next();  // on `device`

 private:
  void produce();
  Batch load(std::int64_t b) const;
  const RankShards& shards_;
  const EpochPlan& plan_;
  const TrainingTask& task_;
  BatchTransform transform_;
  std::int64_t next_produced_, next_consumed_;
  int prefetch_;
  torch::Device device_;
  std::deque<Batch> queue_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace galien
