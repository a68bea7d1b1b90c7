// Each sweep.values entry is parsed with the YAML reader (core/yaml) and each of its values is
// checked against the schema like an override, so a typo fails at FILE:LINE:COLUMN of the entry
// (Config::origins) when the sweep is planned, not in one array task tomorrow.
#include "launcher/slurm/sweep.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/yaml/document.h"

namespace galien::slurm {
namespace {

constexpr std::size_t kMaxPoints = 1000;  // Slurm's default MaxArraySize is 1001

struct Axis {
  std::string key;
  std::vector<std::string> values;  // YAML text of each value, as an override writes it
  std::string where;                // "exp.yaml:12:5: sweep.values[0] 'KEY=[...]'", for messages
};

// A value as override text: "0.01", "[64, 32]", "{name: sgd}", null.
std::string yaml_text(YAML::Node value) {
  if (value.IsSequence() || value.IsMap()) value.SetStyle(YAML::EmitterStyle::Flow);
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  out << value;
  return out.c_str();
}

// Keys that would break the sweep itself rather than vary a training.
void check_key(const std::string& key, const std::string& where) {
  const bool refused = key.rfind("sweep.", 0) == 0 || key.rfind("launch.", 0) == 0 ||
                       key == "trainer.run_dir" || key == "trainer.output_dir";
  if (refused)
    throw UserError(where + ": " + key + " cannot be swept (each point gets its own run "
                    "directory, and launch settings are the same for every point)");
}

Axis parse_axis(const std::string& entry, const std::string& where) {
  const std::size_t equals = entry.find('=');
  const std::string key = equals == std::string::npos ? "" : entry.substr(0, equals);
  if (key.empty() || key.find_first_of(" \t") != std::string::npos)
    throw UserError(where + ": must be KEY=[value, ...], e.g. optim.learning_rate=[0.001, 0.01]");
  check_key(key, where);
  const yaml::Node list = yaml::parse_value(entry.substr(equals + 1), where);
  if (!list.is_list() || list.raw().size() == 0)
    throw UserError(where + ": the values must be a non-empty list in brackets, e.g. " + key +
                    "=[1, 2]");
  Axis axis{key, {}, where};
  for (const yaml::Node& value : list.items()) {
    axis.values.push_back(yaml_text(value.raw()));
    check_override(key + "=" + axis.values.back(), where);
  }
  return axis;
}

std::vector<Axis> parse_axes(const Config& config) {
  std::vector<Axis> axes;
  for (std::size_t i = 0; i < config.sweep.values.size(); ++i) {
    const std::string& entry = config.sweep.values[i];
    const std::string item = "sweep.values[" + std::to_string(i) + "]";
    Axis axis = parse_axis(entry, config.origin_of(item) + ": " + item + " '" + entry + "'");
    for (std::size_t j = 0; j < axes.size(); ++j)
      if (axes[j].key == axis.key)
        throw UserError(axis.where + ": " + axis.key + " is already swept by sweep.values[" +
                        std::to_string(j) + "]; put all its values in one entry");
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::vector<SweepPoint> grid(const std::vector<Axis>& axes, const std::string& where) {
  std::size_t count = 1;
  for (const Axis& axis : axes) {
    count *= axis.values.size();
    if (count > kMaxPoints)
      throw UserError(where + ": the sweep grid has more than " + std::to_string(kMaxPoints) +
                      " points; split it or use sweep.mode: list");
  }
  std::vector<SweepPoint> points(count);
  for (std::size_t p = 0; p < count; ++p) {
    std::size_t rest = p;  // mixed-radix digits of p, last axis fastest
    for (std::size_t a = axes.size(); a-- > 0;) {
      const Axis& axis = axes[a];
      points[p].insert(points[p].begin(), axis.key + "=" + axis.values[rest % axis.values.size()]);
      rest /= axis.values.size();
    }
  }
  return points;
}

std::vector<SweepPoint> zipped(const std::vector<Axis>& axes, const std::string& where) {
  const std::size_t count = axes.front().values.size();
  for (const Axis& axis : axes)
    if (axis.values.size() != count)
      throw UserError(axis.where + ": sweep.mode is list, so every key needs as many values: " +
                      axes.front().key + " has " + std::to_string(count) + ", " + axis.key +
                      " has " + std::to_string(axis.values.size()));
  if (count > kMaxPoints)
    throw UserError(where + ": the sweep has more than " + std::to_string(kMaxPoints) +
                    " points; split it");
  std::vector<SweepPoint> points(count);
  for (std::size_t p = 0; p < count; ++p)
    for (const Axis& axis : axes) points[p].push_back(axis.key + "=" + axis.values[p]);
  return points;
}

}  // namespace

std::vector<SweepPoint> sweep_points(const Config& config) {
  const std::vector<Axis> axes = parse_axes(config);
  if (axes.empty()) return {};
  const std::string where = config.origin_of("sweep.values");
  return config.sweep.mode == "list" ? zipped(axes, where) : grid(axes, where);
}

std::vector<std::string> swept_keys(const Config& config) {
  std::vector<std::string> keys;
  for (const Axis& axis : parse_axes(config)) keys.push_back(axis.key);
  return keys;
}

std::string point_dir_name(std::size_t index) { return "point-" + std::to_string(index); }

void write_sweep_file(const std::string& sweep_dir, const Config& config,
                      const std::vector<std::string>& overrides,
                      const std::vector<SweepPoint>& points) {
  nlohmann::json sweep{{"config", std::filesystem::absolute(config.source_file).string()},
                       {"overrides", overrides},
                       {"swept", swept_keys(config)},
                       {"points", nlohmann::json::array()}};
  for (std::size_t i = 0; i < points.size(); ++i) {
    sweep["points"].push_back({{"dir", point_dir_name(i)}, {"overrides", points[i]}});
    make_directories(sweep_dir + "/" + point_dir_name(i));  // Slurm opens the logs there
  }
  write_file_atomic(sweep_dir + "/sweep.json", sweep.dump(2) + "\n");
}

}  // namespace galien::slurm
