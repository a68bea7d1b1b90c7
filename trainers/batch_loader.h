// Batches of one epoch for this rank, prepared ahead by a background thread (per-rank
// prefetching: the training step does not wait on gathering and copying when the data can keep
// up). Order and content depend only on the EpochPlan, never on timing.
#pragma once

#include <torch/types.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "datasets/epoch_plan.h"
#include "datasets/rank_shards.h"

namespace galien {

struct Batch {
  torch::Tensor features;  // [n, num_features] float32
  torch::Tensor labels;    // [n] int64
  torch::Tensor weights;   // [n] float32: 1 for real samples, 0 for padding
  std::int64_t num_real = 0;
  std::int64_t global_real = 0;
};

// Gathers `part`'s samples into CPU tensors (pinned when `pin` for fast GPU copies).
Batch load_batch(const RankShards& shards, const RankBatch& part, bool pin = false);

class BatchLoader {
 public:
  // Batches first_batch .. plan.num_batches()-1, `prefetch` ahead (0 = on demand).
  BatchLoader(const RankShards& shards, const EpochPlan& plan, std::int64_t first_batch,
              int prefetch, torch::Device device);
  ~BatchLoader();
  Batch next();  // on `device`

 private:
  void produce();
  const RankShards& shards_;
  const EpochPlan& plan_;
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
