// Exact metrics of one split: every rank predicts its own samples, rank 0 gathers all of them
// and computes the metrics over the whole split (not an average of per-rank values). What is
// collected per sample and which metrics follow is the task's (trainers/tasks/<task>.cpp); the
// per-sample predictions, keyed by pseudonym (never a raw patient id), come back with them for
// prediction files and report pictures.
#pragma once

#include <torch/types.h>

#include "datasets/rank_shards.h"
#include "models/model.h"
#include "trainers/loop/batch_loader.h"
#include "trainers/distributed/comm.h"
#include "trainers/tasks/evaluation.h"
#include "trainers/tasks/task.h"

namespace galien {

// The metrics of the task on `shards` (classification: see classification_metrics; survival:
// "loss" per event, "c_index", "events"; regression: "loss", "mse", "rmse", "mae", "r2").
Evaluation evaluate_split(Model& model, const RankShards& shards, const TrainingTask& task,
                          const Comm& comm, torch::Device device);

// The model's outputs on a CPU batch of this rank (inference mode), as float32 on the CPU.
torch::Tensor predict_batch(Model& model, const Batch& batch, torch::Device device);

}  // namespace galien
