// Exact metrics of one split: every rank predicts its own samples, rank 0 gathers all of them
// and computes the metrics over the whole split (not an average of per-rank values). The
// per-sample predictions, keyed by pseudonym (never a raw patient id), come back with them for
// prediction files and report pictures.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "datasets/rank_shards.h"
#include "models/model.h"
#include "trainers/batch_loader.h"
#include "trainers/comm.h"
#include "trainers/task.h"

namespace galien {

// One row per sample, columns by task: classification "label" + "prob_<class index>";
// survival "risk" (log-risk), "time", "event"; regression "prediction", "target" (raw units).
struct Predictions {
  std::vector<std::string> pseudonyms;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // values[c][row]

  const std::vector<double>& column(const std::string& name) const;  // GALIEN_CHECK if absent
  std::string to_csv() const;
};

struct Evaluation {
  std::map<std::string, double> metrics;  // rank 0 only
  Predictions predictions;                // rank 0 only
};

// Classification: see classification_metrics. Survival: "loss" (Efron negative log partial
// likelihood of the whole split per event), "c_index" (Harrell), "events". Regression: "loss"
// (mean squared error of the standardised target), "mse", "rmse", "mae", "r2" (raw units).
// `class_weights` may be undefined.
Evaluation evaluate_split(Model& model, const RankShards& shards, const TaskSpec& spec,
                          const Comm& comm, torch::Device device,
                          const torch::Tensor& class_weights);

// The model's outputs on a CPU batch of this rank (inference mode), as float32 on the CPU.
torch::Tensor predict_batch(Model& model, const Batch& batch, torch::Device device);

}  // namespace galien
