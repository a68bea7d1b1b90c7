// `galien train`: the data-parallel training loop, explicit from data to checkpoint.
//
//   every rank: verify + load its own shards -> same initial weights (broadcast from rank 0)
//               -> resume from the last checkpoint if there is one (trainer.resume)
//   per step:   EpochPlan batch (same count on every rank) -> forward/backward on the rank's
//               part of the global batch -> gradient sum (buckets overlapped with backward)
//               -> clip -> learning rate from the schedule -> optimiser step -> stop flag
//               agreed by all ranks (SIGUSR1/SIGTERM) -> periodic checkpoint
//   per epoch:  exact validation metrics (predictions gathered on rank 0), best.pt, early
//               stopping, metrics.jsonl
//   at the end: exact test metrics, final.pt, summary.json, run_card.md (rank 0)
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "trainers/distributed/comm.h"

namespace galien {

struct TrainResult {
  std::string status;            // "completed" | "stopped"
  std::string run_dir;
  nlohmann::json summary;        // what summary.json holds (rank 0)
  std::vector<float> parameters; // final parameters, flattened in registration order
  std::vector<float> buffers;    // final floating-point buffers (BatchNorm statistics), likewise
};

// Runs on every rank of `comm`; throws UserError on bad input (the caller aborts the job).
TrainResult train(const Config& config, const Comm& comm);

// SHA-256 of the parameters' float32 bytes: lets two runs be compared exactly.
std::string parameters_sha256(const std::vector<float>& parameters);

}  // namespace galien
