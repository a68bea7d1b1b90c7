// What a training run of a config on a shard directory would stop on, resolved from the config
// and manifest.json alone, so `galien launch` (local and Slurm, dry runs included) reports it
// before any process starts, once, instead of every rank failing after mpirun started. The
// trainer resolves the monitor with the same function.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/manifest.h"

namespace galien {

struct MonitorChoice {
  std::string metric;  // what best.pt, early stopping and plateau follow
  std::string mode;    // min | max
  std::string note;    // said once when the metric is not the configured one; "" otherwise
};

// Whether a run evaluates `split`: the shards hold it and trainer.eval_splits lists it (train
// also with trainer.evaluate_train). val is evaluated every epoch, test and train at the end.
bool evaluates_split(const Config& config, const Manifest& manifest, const std::string& split);

// trainer.monitor against the splits evaluated: with no val split (or val left out of
// trainer.eval_splits), the default val/loss falls
// back to train/loss (with a note); any other val/ metric is an error naming the key and the
// shard directory. test/ metrics are never monitored (they would select on the test split).
MonitorChoice resolve_monitor(const Config& config, const Manifest& manifest);

// trainer.patient_metrics on a dataset that is not classification: UserError naming the key.
void check_patient_metrics(const Config& config, const Manifest& manifest);

// Every problem found (each once, each saying what to change): the monitor, the model against
// the shards' task, the global batch against the train split and the rank count, encrypted
// shards without a key, a data key of another dataset. `ranks`: the job's rank count (0 = unknown, not checked).
std::vector<std::string> run_problems(const Config& config, const Manifest& manifest, int ranks);

}  // namespace galien
