#include "launcher/slurm/sweep.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"

namespace galien::slurm {
namespace {

constexpr std::size_t kMaxPoints = 1000;  // Slurm's default MaxArraySize is 1001

struct Axis {
  std::string key;
  std::vector<std::string> values;  // YAML text of each value, as an override writes it
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
void check_key(const std::string& key, const std::string& entry, const std::string& file) {
  const bool refused = key.rfind("sweep.", 0) == 0 || key.rfind("launch.", 0) == 0 ||
                       key == "trainer.run_dir" || key == "trainer.output_dir";
  if (refused)
    GALIEN_USER_ERROR(file << ": sweep.values entry '" << entry << "': " << key
                           << " cannot be swept (each point gets its own run directory, and "
                              "launch settings are the same for every point)");
}

Axis parse_axis(const std::string& entry, const std::string& file) {
  const std::size_t equals = entry.find('=');
  const std::string key = equals == std::string::npos ? "" : entry.substr(0, equals);
  if (key.empty() || key.find_first_of(" \t") != std::string::npos)
    GALIEN_USER_ERROR(file << ": sweep.values entry '" << entry
                           << "' must be KEY=[value, ...], e.g. optim.learning_rate=[0.001, 0.01]");
  check_key(key, entry, file);
  YAML::Node list;
  try {
    list = YAML::Load(entry.substr(equals + 1));
  } catch (const YAML::ParserException& e) {
    GALIEN_USER_ERROR(file << ": sweep.values entry '" << entry << "': cannot parse the values as "
                           << "YAML: " << e.msg);
  }
  if (!list.IsSequence() || list.size() == 0)
    GALIEN_USER_ERROR(file << ": sweep.values entry '" << entry << "': the values must be a "
                           << "non-empty list in brackets, e.g. " << key << "=[1, 2]");
  Axis axis{key, {}};
  for (const YAML::Node& value : list) axis.values.push_back(yaml_text(value));
  return axis;
}

std::vector<Axis> parse_axes(const Config& config) {
  std::vector<Axis> axes;
  for (const std::string& entry : config.sweep.values) {
    Axis axis = parse_axis(entry, config.source_file);
    for (const Axis& other : axes)
      if (other.key == axis.key)
        GALIEN_USER_ERROR(config.source_file << ": sweep.values names " << axis.key << " twice");
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::vector<SweepPoint> grid(const std::vector<Axis>& axes, const std::string& file) {
  std::size_t count = 1;
  for (const Axis& axis : axes) {
    count *= axis.values.size();
    if (count > kMaxPoints)
      GALIEN_USER_ERROR(file << ": the sweep grid has more than " << kMaxPoints
                             << " points; split it or use sweep.mode: list");
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

std::vector<SweepPoint> zipped(const std::vector<Axis>& axes, const std::string& file) {
  const std::size_t count = axes.front().values.size();
  for (const Axis& axis : axes)
    if (axis.values.size() != count)
      GALIEN_USER_ERROR(file << ": sweep.mode is list, so every key needs as many values: "
                             << axes.front().key << " has " << count << ", " << axis.key << " has "
                             << axis.values.size());
  if (count > kMaxPoints)
    GALIEN_USER_ERROR(file << ": the sweep has more than " << kMaxPoints << " points");
  std::vector<SweepPoint> points(count);
  for (std::size_t p = 0; p < count; ++p)
    for (const Axis& axis : axes) points[p].push_back(axis.key + "=" + axis.values[p]);
  return points;
}

}  // namespace

std::vector<SweepPoint> sweep_points(const Config& config) {
  const std::vector<Axis> axes = parse_axes(config);
  if (axes.empty()) return {};
  return config.sweep.mode == "list" ? zipped(axes, config.source_file)
                                     : grid(axes, config.source_file);
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
