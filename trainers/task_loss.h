// The training objective of one rank's part of a global batch, for each task.
//
// Classification and regression losses are sums of per-sample terms: each rank differentiates
// its own weighted sum divided by the global normaliser, and summing gradients over ranks gives
// exactly the gradient of the global batch's mean loss.
//
// The Cox partial likelihood is not a sum over samples: every event's term depends on the whole
// risk set. So ranks exchange their log-risks, times and events (a few floats per sample), each
// rank evaluates the likelihood of the whole global batch with only its own log-risks attached to
// the graph, and the summed gradients equal those of one process holding the whole batch: the
// risk sets span the global batch, not a rank's half of it.
#pragma once

#include <torch/types.h>

#include "trainers/batch_loader.h"
#include "trainers/comm.h"
#include "trainers/task.h"

namespace galien {

struct StepLoss {
  torch::Tensor objective;  // scalar to call backward() on
  torch::Tensor reported;   // scalar, detached: this rank's share of the loss sum to report
  double reported_count = 0;  // what `reported` is a sum over (samples, or events for Cox)
};

class TaskLoss {
 public:
  // `class_weights` (classification) may be undefined.
  TaskLoss(const TaskSpec& spec, torch::Tensor class_weights, const Comm& comm);

  // `output`: the model's output for `batch`. `normaliser`: real samples in every global
  // micro-batch of this optimiser step; `micro_batches`: how many of those micro-batches
  // (Cox divides each micro-batch by its own events instead).
  StepLoss operator()(const torch::Tensor& output, const Batch& batch, double normaliser,
                      int micro_batches) const;

 private:
  StepLoss cox(const torch::Tensor& output, const Batch& batch, int micro_batches) const;

  TaskSpec spec_;
  torch::Tensor class_weights_;
  Comm comm_;
};

// The standardised regression target (t - mean) / std, the model's output scale.
torch::Tensor standardise_target(const torch::Tensor& target, const TaskSpec& spec);

}  // namespace galien
