// `galien runs summarize DIR`: one table row per run directory under DIR (a sweep, or any folder
// of runs), with the config values that differ between runs and each run's final status and
// metrics from summary.json. Missing files are shown as such, never skipped.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace galien::slurm {

struct RunRecord {
  std::string name;  // the run directory, relative to DIR
  std::map<std::string, std::string>
      config;          // config.yaml flattened: "optim.learning_rate" -> "0.01"
  std::string status;  // summary.json's status; "running" (no summary yet); "not started"
  long epochs = -1;    // epochs_completed; -1 = unknown
  std::map<std::string, double> metrics;
  std::string parameters_sha256;
};

// The runs of DIR: the points listed in DIR/sweep.json, else every subdirectory holding a
// config.yaml or summary.json (natural order: point-2 before point-10), else DIR itself.
// UserError when DIR holds no run.
std::vector<RunRecord> read_runs(const std::string& dir);

// Keys whose values differ between the runs that have a config (trainer.run_dir excluded).
std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs);

// A Markdown table: run, differing keys, status, epochs, then every metric.
std::string summary_table(const std::string& dir, const std::vector<RunRecord>& runs);

}  // namespace galien::slurm
