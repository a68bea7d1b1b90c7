// Training checkpoints: everything needed to continue a run exactly where it stopped.
//
// A checkpoint holds the model, the optimiser state, the schedule, the position (epoch, next
// batch, optimiser step, partial epoch sums, early-stopping state), the RNG state, and the
// config and data hashes it was made with. Files are written atomically (temporary file,
// fsync, rename); `last.pt` is a symlink swapped atomically to the newest step file, so a crash
// or a kill at any moment leaves the previous checkpoint loadable.
//
//   checkpoints/step-00000420.pt   newest `trainer.keep_checkpoints` are kept
//   checkpoints/last.pt -> step-00000420.pt
//   checkpoints/best.pt            best value of trainer.monitor so far (the trainer writes it
//                                  with the next step checkpoint and at the end of the run)
//   checkpoints/final.pt           model at the end of a completed run
#pragma once

#include <torch/optim/optimizer.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "models/model.h"

namespace galien {

struct TrainingState {
  std::int64_t epoch = 0;       // epoch in progress
  std::int64_t next_batch = 0;  // first batch of `epoch` not yet trained
  std::int64_t step = 0;        // optimiser steps done
  double epoch_loss_sum = 0.0;  // partial sums of the epoch in progress (exact train/loss)
  double epoch_samples = 0.0;
  double best_metric = 0.0;     // best trainer.monitor value (valid when has_best)
  bool has_best = false;
  int epochs_without_improvement = 0;
  nlohmann::json schedule;      // LrSchedule::state()
  std::string config_sha256;    // the whole resolved config
  std::string training_sha256;  // what resume checks (core/config/identity.h); "" before 0.1 checkpoints had it
  std::string manifest_sha256;

  nlohmann::json to_json() const;
  static TrainingState from_json(const nlohmann::json& json);
};

// Serialises model + optimiser + state + RNG into bytes (so several files can share them).
std::string serialize_checkpoint(Model& model, const torch::optim::Optimizer& optimizer,
                                 const TrainingState& state);
// Restores model + optimiser + RNG and returns the state. UserError naming the path if the file
// is not a galien checkpoint.
TrainingState load_checkpoint(const std::string& path, Model& model,
                              torch::optim::Optimizer& optimizer);
// Model weights only (for `final.pt` consumers and inference). load_model_checkpoint also takes
// a training checkpoint (best.pt, last.pt, step-N.pt) and reads only its weights.
void save_model_checkpoint(Model& model, const std::string& path);
void load_model_checkpoint(Model& model, const std::string& path);

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, int keep);
  // Writes step-<step>.pt, points last.pt at it, removes step files beyond `keep`.
  std::string save_step(const std::string& bytes, std::int64_t step);
  void save_named(const std::string& bytes, const std::string& name);  // best.pt, final.pt
  std::string last() const;  // path of last.pt, empty when there is none

 private:
  std::string dir_;
  int keep_;
};

}  // namespace galien
