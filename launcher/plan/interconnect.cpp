// Read with the YAML reader of core/yaml, like the rest of a profile (launcher/slurm/profile.cpp):
// an unknown key gets FILE:LINE:COLUMN and the closest valid key; every key is required, because
// a projection that silently used a default figure would look as sourced as one that did not.
#include "launcher/plan/interconnect.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/text.h"
#include "core/yaml/document.h"

namespace galien::plan {
namespace {

using yaml::closed;
using yaml::left_open;

const std::vector<std::string>& keys() {
  static const std::vector<std::string> names = {
      "gpu",           "gpu_fp32_tflops",       "intra_node_gbytes_s",   "intra_step_latency_us",
      "nics_per_node", "nic_gbits_s",           "inter_step_latency_us", "collective_latency_us",
      "bandwidth_efficiency", "source", "accounting"};
  return names;
}

}  // namespace

double Interconnect::node_injection_bytes_s() const {
  return nics_per_node * nic_gbits_s * 1e9 / 8.0 * bandwidth_efficiency;
}

double Interconnect::intra_node_bytes_s() const {
  return intra_node_gbytes_s * 1e9 * bandwidth_efficiency;
}

Interconnect read_interconnect_text(const std::string& text, const std::string& profile_file) {
  const yaml::Node root = yaml::parse(text, profile_file);
  const std::optional<yaml::Node> found = root.is_map() ? root.optional("interconnect") : std::nullopt;
  if (!found)
    root.fail("no interconnect: section, which galien plan needs; add one with " + joined(keys()) +
              " (docs/BENCHMARKS.md, \"Scaling projection\", shows jean-zay-h100's and "
              "adastra-mi250's)");
  const yaml::Node& section = *found;
  section.allow_keys(keys());
  std::vector<std::string> missing;
  for (const std::string& key : keys())
    if (!section.has(key)) missing.push_back(key);
  if (!missing.empty())
    section.fail_at_key("interconnect is missing " + joined(missing) +
                 " (every figure is required, with its source)");

  auto figure = [&](const char* key, const yaml::Range& range) {
    return section.required(key).as_double(range);
  };
  Interconnect net;
  net.file = profile_file;
  net.gpu = section.required("gpu").as_nonempty_string();
  net.gpu_fp32_tflops = figure("gpu_fp32_tflops", left_open(0, 1e4));
  net.intra_node_gbytes_s = figure("intra_node_gbytes_s", left_open(0, 1e5));
  net.intra_step_latency_us = figure("intra_step_latency_us", closed(0, 1e3));
  const double nics = figure("nics_per_node", closed(1, 64));
  if (nics != std::floor(nics))
    section.required("nics_per_node").fail("interconnect.nics_per_node must be a whole number, "
                                           "got " + section.required("nics_per_node").shown());
  net.nics_per_node = static_cast<int>(nics);
  net.nic_gbits_s = figure("nic_gbits_s", left_open(0, 1e5));
  net.inter_step_latency_us = figure("inter_step_latency_us", closed(0, 1e3));
  net.collective_latency_us = figure("collective_latency_us", closed(0, 1e4));
  net.bandwidth_efficiency = figure("bandwidth_efficiency", left_open(0, 1));
  net.source = section.required("source").as_nonempty_string();
  net.accounting = section.required("accounting").as_nonempty_string();
  return net;
}

Interconnect read_interconnect(const std::string& profile_file) {
  return read_interconnect_text(read_file(profile_file), profile_file);
}

}  // namespace galien::plan
