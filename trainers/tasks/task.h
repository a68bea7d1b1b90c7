// The task object: everything that depends on what a run learns, in one place per task
// (trainers/tasks/<task>.cpp): the batch fields it reads from the shards, its training loss
// (chosen by trainer.loss from models/loss_registry), its evaluation loss and metrics, and the
// prediction columns. The training loop, the batch loader and the evaluation call it and never
// ask which task it is. Tasks by name: trainers/tasks/registry.h; what a config may say about
// them (losses, default monitor) without LibTorch: core/config/tasks.h.
#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/tasks.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "models/loss_registry.h"
#include "models/model.h"
#include "trainers/loop/batch_loader.h"
#include "trainers/distributed/comm.h"
#include "trainers/tasks/evaluation.h"
#include "trainers/tasks/spec.h"

namespace galien {

// The training objective of one rank's part of a global batch.
struct StepLoss {
  torch::Tensor objective;    // scalar to call backward() on
  torch::Tensor reported;     // scalar, detached: this rank's share of the loss sum to report
  double reported_count = 0;  // what `reported` is a sum over (samples, or events for Cox)
};

// What a task is built from (trainers/tasks/registry.cpp fills it).
struct TaskContext {
  const Config& config;
  const Manifest& manifest;
  std::string shard_dir;
  TaskSpec spec;       // task name, features and image filled; the task sets the rest
  std::string loss;    // trainer.loss resolved against the shards' task (never "auto")
  Comm comm;
  torch::Device device;
};

class TrainingTask {
 public:
  explicit TrainingTask(const TaskContext& context);
  virtual ~TrainingTask() = default;

  const TaskSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.task; }
  const LossEntry& loss() const { return loss_; }
  const TaskInfo& info() const { return info_; }

  // The shard datasets of the task's targets, e.g. {"/time", "/event"}, for logs and docs.
  virtual std::vector<std::string> batch_fields() const = 0;
  // Reads the task's targets of `part` into `batch` (beyond features, images and /labels, which
  // load_batch reads for every task in its one pass over the table).
  virtual void load_fields(const RankShards& shards, const RankBatch& part, Batch& batch,
                           const torch::TensorOptions& options) const {}
  // Whether trainer.class_weights applies (class labels).
  virtual bool uses_class_weights() const { return false; }
  // Whether load_batch reads each sample's whole image into batch.image: every image task but
  // segmentation, which cuts patches in load_fields (spec().image is then the patch's shape).
  virtual bool reads_whole_images() const { return true; }
  // Whether the task applies augment.* itself (segmentation: to image and mask together);
  // otherwise the trainer augments images alone (trainers/loop/augment.h).
  virtual bool augments_itself() const { return false; }
  // Checks on this rank's train samples before step 1 (UserError), e.g. patch vs case sizes.
  virtual void check_train_split(const RankShards& /*train*/) const {}

  // Evaluation of this rank's `samples` into `mine` (the model in eval mode, no gradients).
  // false = the default of evaluate_split: forward passes over chunks of whole samples, each
  // given to collect(). Segmentation runs sliding windows over each volume instead.
  virtual bool evaluate_samples(Model& /*model*/, const RankShards& /*shards*/,
                                const std::vector<SampleRef>& /*samples*/,
                                torch::Device /*device*/, EvalValues& /*mine*/) const {
    return false;
  }
  // Dense outputs per sample (segmentation logits [K, D, H, W] of one case, on the CPU), given
  // during evaluation to `sink` on the rank that owns the sample: `galien predict -o DIR`.
  using VolumeSink =
      std::function<void(const RankShards&, const SampleRef&, const torch::Tensor& logits)>;
  virtual bool writes_volumes() const { return false; }
  void set_volume_sink(VolumeSink sink) { volume_sink_ = std::move(sink); }

  // `output`: the model's output for `batch`. `normaliser`: real samples in every global
  // micro-batch of this optimiser step; `micro_batches`: how many of those micro-batches.
  // Per-sample losses divide their weighted sum by the normaliser: summed over ranks, the
  // gradient is that of the global batch's mean.
  virtual StepLoss training_loss(const torch::Tensor& output, const Batch& batch,
                                 double normaliser, int micro_batches) const;

  // Evaluation: the per-sample values of a CPU chunk of this rank (`output` float32, CPU) ...
  virtual int eval_columns() const = 0;
  virtual void collect(const torch::Tensor& output, const Batch& batch, EvalValues& mine) const = 0;
  // ... and, on rank 0, the metrics and predictions of the whole split from every rank's values.
  virtual void summarise(const EvalValues& all, Evaluation& result) const = 0;

 protected:
  // The task's LossInputs (output, its targets) of a batch on the batch's device; weights left
  // to training_loss.
  virtual LossInputs loss_inputs(const torch::Tensor& output, const Batch& batch) const = 0;

  TaskSpec spec_;
  VolumeSink volume_sink_;
  const TaskInfo& info_;
  const LossEntry& loss_;
  Comm comm_;
};

// The sizes a model built for this data must match (features, outputs, image).
ModelShape model_shape(const TaskSpec& spec, std::int64_t num_features);

// Appends a tensor's values (any device, any float type) as float32.
void append_floats(std::vector<float>& to, const torch::Tensor& values);

std::vector<double> to_doubles(const std::vector<float>& values);

}  // namespace galien
