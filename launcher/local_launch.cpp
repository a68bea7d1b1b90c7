#include "launcher/local_launch.h"

#include <algorithm>

namespace galien {

int threads_per_rank(const LocalLaunch& launch) {
  return std::max(1, launch.cores / std::max(1, launch.ranks));
}

std::vector<std::string> mpirun_command(const LocalLaunch& launch) {
  std::vector<std::string> cmd{"mpirun", "-np", std::to_string(launch.ranks)};
  if (launch.as_root) cmd.push_back("--allow-run-as-root");  // Open MPI refuses root otherwise
  const bool oversubscribed = launch.ranks > launch.cores;
  if (oversubscribed) cmd.push_back("--oversubscribe");
  // One rank per core: pin it. Fewer ranks than cores: a rank uses several threads, so do not
  // pin it to one core. More ranks than cores: pinning would stack ranks on the same cores.
  cmd.insert(cmd.end(), {"--bind-to", launch.ranks == launch.cores ? "core" : "none"});
  // Exported so LibTorch's OpenMP and OpenBLAS pools start at the right size.
  cmd.insert(cmd.end(), {"-x", "OMP_NUM_THREADS", "-x", "OPENBLAS_NUM_THREADS"});
  cmd.push_back(launch.executable);
  cmd.push_back("train");
  cmd.insert(cmd.end(), launch.train_args.begin(), launch.train_args.end());
  return cmd;
}

}  // namespace galien
