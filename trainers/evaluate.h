// Exact metrics of one split: every rank predicts its own samples, rank 0 gathers all of them
// and computes the metrics over the whole split (not an average of per-rank values).
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

#include "datasets/rank_shards.h"
#include "models/model.h"
#include "trainers/comm.h"

namespace galien {

// Metrics on rank 0; empty map on the other ranks. `class_weights` may be undefined.
std::map<std::string, double> evaluate_split(Model& model, const RankShards& shards,
                                             int num_classes, const Comm& comm,
                                             torch::Device device,
                                             const torch::Tensor& class_weights);

}  // namespace galien
