// `galien predict`: a trained model (any checkpoint of a run) applied to one split of a shard
// directory. Predictions are keyed by pseudonym, never by a raw patient id: the data
// controller, who holds the key, re-links them (docs/training.md, "Predictions").
#pragma once

#include <map>
#include <string>

#include "core/config/config.h"
#include "trainers/comm.h"
#include "trainers/evaluate.h"

namespace galien {

// Builds config.model for the shards' sizes, loads `checkpoint`'s weights and evaluates every
// sample of `split` in `shard_dir` (each rank its own shards; rank 0 gets the result). The
// shards read are recorded in the audit log like a training's.
Evaluation predict_split(const Config& config, const std::string& checkpoint,
                         const std::string& shard_dir, const std::string& split, const Comm& comm);

}  // namespace galien
