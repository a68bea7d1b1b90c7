// `galien predict`: a trained model (any checkpoint of a run) applied to one split of a shard
// directory. Predictions are keyed by pseudonym, never by a raw patient id: the data
// controller, who holds the key, re-links them (docs/training.md, "Predictions").
#pragma once

#include <map>
#include <string>

#include "core/config/config.h"
#include "trainers/distributed/comm.h"
#include "trainers/loop/evaluate.h"

namespace galien {

// Where a task that predicts volumes (segmentation) writes them: one mask per case,
// DIR/<pseudonym>.nii.gz, in the source file's grid and affine; with `probabilities` also
// DIR/<pseudonym>_probabilities.nii.gz (one volume per class). Each rank writes its own cases.
struct VolumeOutput {
  std::string dir;             // "" = no volumes
  bool probabilities = false;
};

struct PredictResult {
  Evaluation evaluation;           // metrics and per-sample rows (rank 0)
  std::int64_t volumes = 0;        // masks written by this rank (0 without VolumeOutput::dir)
  bool writes_volumes = false;     // the task predicts volumes (segmentation)
};

// Builds config.model for the shards' sizes, loads `checkpoint`'s weights and evaluates every
// sample of `split` in `shard_dir` (each rank its own shards; rank 0 gets the result). The
// shards read are recorded in the audit log like a training's.
PredictResult predict_split(const Config& config, const std::string& checkpoint,
                            const std::string& shard_dir, const std::string& split,
                            const Comm& comm, const VolumeOutput& volumes = {});

}  // namespace galien
