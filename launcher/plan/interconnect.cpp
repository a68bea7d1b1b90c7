// Checked like the rest of a profile (launcher/slurm/profile.cpp): an unknown key gets
// file:line:column and the closest valid key; every key is required, because a projection that
// silently used a default figure would look as sourced as one that did not.
#include "launcher/plan/interconnect.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <vector>

#include "core/config/suggest.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"

namespace galien::plan {
namespace {

const std::vector<std::string>& keys() {
  static const std::vector<std::string> names = {
      "gpu",           "gpu_fp32_tflops",       "intra_node_gbytes_s",   "intra_step_latency_us",
      "nics_per_node", "nic_gbits_s",           "inter_step_latency_us", "collective_latency_us",
      "bandwidth_efficiency", "source", "accounting"};
  return names;
}


class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null()) throw UserError(file_ + ": " + message);
    throw UserError(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                    std::to_string(mark.column + 1) + ": " + message);
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty())
      fail(node, "interconnect." + key + " must be a non-empty string");
    return node.Scalar();
  }

  // A number in (min, max] when min_open, else [min, max].
  double number(const YAML::Node& node, const std::string& key, double min, double max,
                bool min_open) const {
    double value = std::nan("");
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !std::isfinite(value) ||
        (min_open ? value <= min : value < min) || value > max) {
      std::ostringstream range;
      range << (min_open ? "(" : "[") << min << ", " << max << "]";
      fail(node, "interconnect." + key + " must be a number in " + range.str() + ", got '" +
                     (node.IsScalar() ? node.Scalar() : std::string("a non-scalar")) + "'");
    }
    return value;
  }

 private:
  std::string file_;
};

}  // namespace

double Interconnect::node_injection_bytes_s() const {
  return nics_per_node * nic_gbits_s * 1e9 / 8.0 * bandwidth_efficiency;
}

double Interconnect::intra_node_bytes_s() const {
  return intra_node_gbytes_s * 1e9 * bandwidth_efficiency;
}

Interconnect read_interconnect(const std::string& profile_file) {
  const Reader in(profile_file);
  YAML::Node root;
  try {
    root = YAML::Load(read_file(profile_file));
  } catch (const YAML::ParserException& e) {
    in.fail(YAML::Node(), "line " + std::to_string(e.mark.line + 1) + ": YAML syntax error: " +
                              e.msg);
  }
  const YAML::Node section = root.IsMap() ? root["interconnect"] : YAML::Node();
  if (!section)
    GALIEN_USER_ERROR(profile_file << ": no interconnect: section, which galien plan needs; add "
                      << "one with " << joined(keys()) << " (docs/BENCHMARKS.md, \"Scaling "
                      << "projection\", shows jean-zay-h100's and adastra-mi250's)");
  if (!section.IsMap()) in.fail(section, "interconnect must be a map of keys");

  std::set<std::string> seen;
  for (const auto& entry : section) {
    const std::string key = entry.first.Scalar();
    if (!seen.insert(key).second) in.fail(entry.first, "duplicate key 'interconnect." + key + "'");
    if (std::find(keys().begin(), keys().end(), key) != keys().end()) continue;
    std::string message = "unknown key '" + key + "' in 'interconnect'";
    if (auto near = closest_match(key, keys()))
      message += "; did you mean '" + *near + "'?";
    else
      message += "; valid keys: " + joined(keys());
    in.fail(entry.first, message);
  }
  std::vector<std::string> missing;
  for (const std::string& key : keys())
    if (!section[key]) missing.push_back(key);
  if (!missing.empty())
    in.fail(section, "interconnect is missing " + joined(missing) +
                         " (every figure is required, with its source)");

  Interconnect net;
  net.file = profile_file;
  net.gpu = in.text(section["gpu"], "gpu");
  net.gpu_fp32_tflops = in.number(section["gpu_fp32_tflops"], "gpu_fp32_tflops", 0, 1e4, true);
  net.intra_node_gbytes_s =
      in.number(section["intra_node_gbytes_s"], "intra_node_gbytes_s", 0, 1e5, true);
  net.intra_step_latency_us =
      in.number(section["intra_step_latency_us"], "intra_step_latency_us", 0, 1e3, false);
  const double nics = in.number(section["nics_per_node"], "nics_per_node", 1, 64, false);
  if (nics != std::floor(nics))
    in.fail(section["nics_per_node"], "interconnect.nics_per_node must be a whole number");
  net.nics_per_node = static_cast<int>(nics);
  net.nic_gbits_s = in.number(section["nic_gbits_s"], "nic_gbits_s", 0, 1e5, true);
  net.inter_step_latency_us =
      in.number(section["inter_step_latency_us"], "inter_step_latency_us", 0, 1e3, false);
  net.collective_latency_us =
      in.number(section["collective_latency_us"], "collective_latency_us", 0, 1e4, false);
  net.bandwidth_efficiency =
      in.number(section["bandwidth_efficiency"], "bandwidth_efficiency", 0, 1, true);
  net.source = in.text(section["source"], "source");
  net.accounting = in.text(section["accounting"], "accounting");
  return net;
}

}  // namespace galien::plan
