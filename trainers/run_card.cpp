#include "trainers/run_card.h"

#include <H5public.h>
#include <torch/version.h>

#include <sstream>

#include "trainers/comm.h"

#ifndef GALIEN_GIT_COMMIT
#define GALIEN_GIT_COMMIT "unknown"
#endif

namespace galien {

std::string render_run_card(const RunCardInfo& info) {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  std::ostringstream out;
  out << "# Run card: " << info.config.name << "\n\n"
      << "| | |\n|---|---|\n"
      << "| status | " << info.summary.value("status", "?") << " |\n"
      << "| galien | " << GALIEN_VERSION << " (commit " << GALIEN_GIT_COMMIT << ") |\n"
      << "| LibTorch | " << TORCH_VERSION << " |\n"
      << "| MPI | " << mpi_library_version() << " |\n"
      << "| HDF5 | " << major << "." << minor << "." << release << " |\n"
      << "| world size | " << info.world_size << " rank(s), " << info.threads_per_rank
      << " intra-op thread(s) each, CPU |\n"
      << "| data | " << info.config.data.shard_dir << " (manifest SHA-256 "
      << info.manifest_sha256 << ", key id " << info.manifest.key_id << ") |\n"
      << "| config SHA-256 | " << info.config.sha256 << " |\n"
      << "| wall time | " << info.summary.value("time_s", 0.0) << " s |\n\n"
      << "## Final metrics\n\n| metric | value |\n|---|---|\n";
  for (const auto& [name, value] : info.summary.at("metrics").items())
    out << "| " << name << " | " << value.dump() << " |\n";
  out << "\n## Time per step (ms, rank 0)\n\n```json\n"
      << info.summary.at("timings_ms_per_step").dump(2) << "\n```\n\n"
      << "## Resolved config\n\n```yaml\n" << info.config.resolved_yaml << "```\n";
  return out.str();
}

}  // namespace galien
