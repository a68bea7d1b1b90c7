#include "trainers/observability/run_card.h"

#include <algorithm>

#include <H5public.h>

#include <cstdio>
#include <sstream>

#include "core/text.h"
#include "trainers/distributed/comm.h"

// Set by trainers/CMakeLists.txt at configure time.
#ifndef GALIEN_GIT_COMMIT
#define GALIEN_GIT_COMMIT "unknown"
#endif
#ifndef GALIEN_TORCH_VERSION
#define GALIEN_TORCH_VERSION "unknown"
#endif

namespace galien {
namespace {


std::string describe_cpus(const HostInfo& host) {
  return host.cpu_model + ", " + std::to_string(host.logical_cpus) + " logical CPUs (" +
         std::to_string(host.cpus_allowed) + " allowed to rank 0)";
}

void render_identity(std::ostream& out, const RunCardInfo& info, const RunEnvironment& env) {
  out << "| | |\n|---|---|\n"
      << "| status | " << info.summary.value("status", "?") << " |\n"
      << "| galien | " << env.galien_version << " (commit " << env.git_commit << ") |\n"
      << "| LibTorch | " << env.torch_version << " |\n"
      << "| MPI | " << env.mpi_version << " |\n"
      << "| HDF5 | " << env.hdf5_version << " |\n"
      << "| host (rank 0) | " << env.host.hostname << " |\n"
      << "| CPU | " << describe_cpus(env.host) << " |\n"
      << "| device (rank 0) | " << info.summary.value("device", "cpu") << " |\n"
      << "| GPU | " << (env.host.gpu.empty() ? "none" : env.host.gpu) << " |\n"
      << "| world size | " << info.world_size << " rank(s), " << info.threads_per_rank
      << " intra-op thread(s) each |\n"
      << "| data | " << info.config.data.shard_dir << " (manifest SHA-256 "
      << info.manifest_sha256 << ", key id " << info.manifest.key_id << ") |\n"
      << "| config SHA-256 | " << info.config.sha256 << " |\n"
      << "| wall time | " << fixed(info.summary.value("time_s", 0.0), 1) << " s |\n";
  const nlohmann::json peak = info.summary.value("peak_rss_mib_per_rank", nlohmann::json::array());
  if (!peak.empty()) {
    double largest = 0;
    for (const auto& mib : peak) largest = std::max(largest, mib.get<double>());
    out << "| peak memory | " << fixed(largest, 0) << " MiB (largest rank's resident set) |\n";
  }
}

}  // namespace

RunEnvironment current_run_environment() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  RunEnvironment env;
  env.galien_version = GALIEN_VERSION;
  env.git_commit = GALIEN_GIT_COMMIT;
  env.torch_version = GALIEN_TORCH_VERSION;
  env.mpi_version = mpi_library_version();
  env.hdf5_version = std::to_string(major) + "." + std::to_string(minor) + "." +
                     std::to_string(release);
  env.host = host_info();
  return env;
}

std::string render_step_timings(const nlohmann::json& timings) {
  if (!timings.is_object() || !timings.contains("steps")) return "Not recorded.\n";
  struct Phase {
    const char* key;
    const char* label;
  };
  const Phase phases[] = {{"data", "data wait"},
                          {"compute", "compute (forward, backward, optimiser)"},
                          {"communication", "communication (gradient sync)"}};
  double total = 0;
  for (const auto& phase : phases) total += timings.value(phase.key, 0.0);
  auto share = [&](double ms) { return total > 0 ? fixed(100.0 * ms / total, 1) + " %" : "-"; };
  std::ostringstream out;
  out << "| phase | ms per step | share |\n|---|---:|---:|\n";
  for (const auto& phase : phases) {
    const double ms = timings.value(phase.key, 0.0);
    out << "| " << phase.label << " | " << fixed(ms, 3) << " | " << share(ms) << " |\n";
  }
  out << "| **total** | " << fixed(total, 3) << " | " << share(total) << " |\n\n"
      << "Mean over " << timings.at("steps").get<std::int64_t>() << " step(s) on rank 0.\n";
  return out.str();
}

std::string render_run_card(const RunCardInfo& info, const RunEnvironment& environment) {
  std::ostringstream out;
  out << "# Run card: " << info.config.name << "\n\n";
  render_identity(out, info, environment);
  out << "\n## Final metrics\n\n| metric | value |\n|---|---|\n";
  for (const auto& [name, value] : info.summary.at("metrics").items())
    out << "| " << name << " | " << value.dump() << " |\n";
  out << "\n## Time per step\n\n"
      << render_step_timings(info.summary.value("timings_ms_per_step", nlohmann::json()))
      << "\n## Resolved config\n\n```yaml\n" << info.config.resolved_yaml << "```\n";
  return out.str();
}

std::string render_run_card(const RunCardInfo& info) {
  return render_run_card(info, current_run_environment());
}

}  // namespace galien
