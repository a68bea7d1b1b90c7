#include "trainers/observability/run_dir.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/fs.h"

namespace galien {

std::string default_run_dir(const Config& config) {
  return config.trainer.output_dir + "/" + config.name + "-" + utc_now_compact();
}

std::string resolve_run_dir(const Config& config) {
  return config.trainer.run_dir.empty() ? default_run_dir(config) : config.trainer.run_dir;
}

RunDirectory::RunDirectory(const std::string& path, const Config& config) : path_(path) {
  make_directories(checkpoints_dir());
  write_file_atomic(path_ + "/config.yaml", config.resolved_yaml);
  write_file_atomic(path_ + "/config.sha256", config.sha256 + "  config.yaml\n");
  metrics_.open(path_ + "/metrics.jsonl", std::ios::app);
  if (!metrics_) GALIEN_USER_ERROR("cannot write " << path_ << "/metrics.jsonl");
}

void RunDirectory::append_metrics(const nlohmann::json& record) {
  metrics_ << record.dump() << '\n';
  metrics_.flush();
}

void RunDirectory::write_summary(const nlohmann::json& summary) {
  write_file_atomic(path_ + "/summary.json", summary.dump(2) + "\n");
}

void RunDirectory::write_text(const std::string& name, const std::string& text) {
  write_file_atomic(path_ + "/" + name, text);
}

}  // namespace galien
