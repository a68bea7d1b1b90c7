// The run directory a training writes (layout in DESIGN.md's contracts): config.yaml (resolved),
// metrics.jsonl, summary.json, checkpoints/, run_card.md. Only rank 0 writes; every file except
// the append-only metrics log is replaced atomically.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "core/config/config.h"

namespace galien {

// output_dir/<name>-<UTC timestamp>, e.g. runs/wdbc-mlp-20261128-142501.
std::string default_run_dir(const Config& config);
// config.trainer.run_dir when set, else default_run_dir(config).
std::string resolve_run_dir(const Config& config);

class RunDirectory {
 public:
  // Creates the directory and checkpoints/, writes config.yaml and config.sha256.
  RunDirectory(const std::string& path, const Config& config);

  const std::string& path() const { return path_; }
  std::string checkpoints_dir() const { return path_ + "/checkpoints"; }

  void append_metrics(const nlohmann::json& record);  // one JSON object per line, flushed
  void write_summary(const nlohmann::json& summary);
  void write_text(const std::string& name, const std::string& text);

 private:
  std::string path_;
  std::ofstream metrics_;
};

}  // namespace galien
