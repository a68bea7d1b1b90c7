// `galien train`: the data-parallel training loop, explicit from data to checkpoint.
//
//   every rank: verify + load its own shards -> same initial weights (broadcast from rank 0)
//   per epoch:  EpochPlan (same batch count on every rank) -> forward/backward on the rank's
//               part of the global batch -> one fused allreduce of the gradients -> step
//               -> exact validation metrics (predictions gathered on rank 0)
//   at the end: exact test metrics, final checkpoint, summary.json, run_card.md (rank 0)
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "trainers/comm.h"

namespace galien {

struct TrainResult {
  std::string run_dir;
  nlohmann::json summary;        // what summary.json holds
  std::vector<float> parameters; // final parameters, flattened in registration order
};

// Runs on every rank of `comm`; throws UserError on bad input (the caller aborts the job).
TrainResult train(const Config& config, const Comm& comm);

}  // namespace galien
