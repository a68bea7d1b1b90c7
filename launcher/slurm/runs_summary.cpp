#include "launcher/slurm/runs_summary.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/yaml/document.h"

namespace galien::slurm {
namespace {

namespace fs = std::filesystem;

// config.yaml as "section.key" -> value text; lists on one line as YAML writes them. Any keys are
// taken (runs of other galien versions have other keys): this only compares runs.
void flatten(const yaml::Node& node, std::map<std::string, std::string>& out) {
  if (node.is_map()) {
    for (const yaml::Node::Entry& entry : node.entries()) flatten(entry.value, out);
    return;
  }
  if (node.is_scalar()) {
    out[node.path()] = node.as_string();
    return;
  }
  YAML::Node copy = YAML::Clone(node.raw());
  if (copy.IsSequence()) copy.SetStyle(YAML::EmitterStyle::Flow);
  YAML::Emitter text;
  text.SetNullFormat(YAML::LowerNull);
  text << copy;
  out[node.path()] = text.c_str();
}

void read_summary(const fs::path& file, RunRecord& run) {
  std::ifstream in(file);
  const nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (summary.is_discarded() || !summary.is_object()) {
    run.status = "unreadable summary.json";
    return;
  }
  run.status = summary.value("status", "?");
  if (summary.contains("epochs_completed") && summary["epochs_completed"].is_number())
    run.epochs = summary["epochs_completed"].get<long>();
  if (summary.contains("parameters_sha256") && summary["parameters_sha256"].is_string())
    run.parameters_sha256 = summary["parameters_sha256"].get<std::string>();
  if (summary.contains("metrics") && summary["metrics"].is_object())
    for (const auto& [name, value] : summary["metrics"].items())
      if (value.is_number()) run.metrics[name] = value.get<double>();
}

RunRecord read_run(const fs::path& dir, const std::string& name) {
  RunRecord run;
  run.name = name;
  if (fs::exists(dir / "config.yaml")) {
    const yaml::Node config = yaml::parse_file((dir / "config.yaml").string());
    if (!config.is_null()) {
      config.expect_map();
      flatten(config, run.config);
    }
  }
  if (fs::exists(dir / "summary.json")) {
    read_summary(dir / "summary.json", run);
  } else {
    run.status = run.config.empty() ? "not started" : "running";
  }
  return run;
}

// "point-10" after "point-9": digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      const std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::string> sweep_point_dirs(const fs::path& file) {
  std::ifstream in(file);
  const nlohmann::json sweep = nlohmann::json::parse(in, nullptr, false);
  if (sweep.is_discarded() || !sweep.contains("points") || !sweep["points"].is_array())
    GALIEN_USER_ERROR(file.string()
                      << ": not a sweep file (expected {\"points\": [{\"dir\": ...}]})");
  std::vector<std::string> dirs;
  for (const auto& point : sweep["points"]) dirs.push_back(point.value("dir", ""));
  return dirs;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, std::abs(value) < 1000 ? "%.4f" : "%.6g", value);
  return text;
}

std::string row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const std::string& cell : cells) line += " " + cell + " |";
  return line + "\n";
}

}  // namespace

std::vector<RunRecord> read_runs(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) GALIEN_USER_ERROR(dir << ": no such directory");
  std::vector<std::string> names;
  if (fs::exists(root / "sweep.json")) {
    names = sweep_point_dirs(root / "sweep.json");
  } else {
    for (const auto& entry : fs::directory_iterator(root))
      if (entry.is_directory() &&
          (fs::exists(entry.path() / "config.yaml") || fs::exists(entry.path() / "summary.json")))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end(), natural_less);
  }
  std::vector<RunRecord> runs;
  for (const std::string& name : names) runs.push_back(read_run(root / name, name));
  if (runs.empty() && fs::exists(root / "config.yaml")) runs.push_back(read_run(root, "."));
  if (runs.empty())
    GALIEN_USER_ERROR(dir << ": no run directories (folders with config.yaml or summary.json)");
  return runs;
}

std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs) {
  std::set<std::string> keys;
  for (const RunRecord& run : runs)
    for (const auto& [key, value] : run.config) keys.insert(key);
  std::vector<std::string> differing;
  for (const std::string& key : keys) {
    if (key == "trainer.run_dir") continue;
    std::set<std::string> values;
    for (const RunRecord& run : runs) {
      if (run.config.empty()) continue;
      auto found = run.config.find(key);
      values.insert(found == run.config.end() ? "(unset)" : found->second);
    }
    if (values.size() > 1) differing.push_back(key);
  }
  return differing;
}

std::string summary_table(const std::string& dir, const std::vector<RunRecord>& runs) {
  const std::vector<std::string> keys = differing_keys(runs);
  std::set<std::string> metric_names;
  std::map<std::string, int> statuses;
  for (const RunRecord& run : runs) {
    for (const auto& [name, value] : run.metrics) metric_names.insert(name);
    ++statuses[run.status];
  }
  std::ostringstream out;
  out << "# Runs in " << dir << "\n\n" << runs.size() << " run(s):";
  for (const auto& [status, count] : statuses) out << " " << count << " " << status << ";";
  out << "\n\n";

  std::vector<std::string> header{"run"};
  header.insert(header.end(), keys.begin(), keys.end());
  header.insert(header.end(), {"status", "epochs"});
  header.insert(header.end(), metric_names.begin(), metric_names.end());
  out << row(header) << row(std::vector<std::string>(header.size(), "---"));
  for (const RunRecord& run : runs) {
    std::vector<std::string> cells{run.name};
    for (const std::string& key : keys) {
      auto found = run.config.find(key);
      cells.push_back(found == run.config.end() ? "-" : found->second);
    }
    cells.push_back(run.status);
    cells.push_back(run.epochs < 0 ? "-" : std::to_string(run.epochs));
    for (const std::string& name : metric_names) {
      auto found = run.metrics.find(name);
      cells.push_back(found == run.metrics.end() ? "-" : number(found->second));
    }
    out << row(cells);
  }
  return out.str();
}

}  // namespace galien::slurm
