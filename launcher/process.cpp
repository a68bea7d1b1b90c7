#include "launcher/process.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "core/process.h"
#include "launcher/local_launch.h"

namespace galien {

int run_local_training(const std::string& config_path, const std::vector<std::string>& overrides,
                       const std::string& run_dir, int ranks, bool dry_run, std::ostream& out) {
  LocalLaunch launch;
  launch.ranks = ranks;
  launch.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  launch.as_root = ::geteuid() == 0;
  launch.executable = self_executable();
  launch.train_args = {config_path};
  launch.train_args.insert(launch.train_args.end(), overrides.begin(), overrides.end());
  launch.train_args.push_back("trainer.run_dir=" + run_dir);
  const auto command = mpirun_command(launch);
  std::string shown;
  for (const auto& arg : command) shown += (shown.empty() ? "" : " ") + arg;
  out << "galien launch: " << shown << std::endl;
  if (dry_run) return 0;
  const std::string threads = std::to_string(threads_per_rank(launch));
  ::setenv("OMP_NUM_THREADS", threads.c_str(), 1);
  ::setenv("OPENBLAS_NUM_THREADS", threads.c_str(), 1);
  const int code =
      run_and_wait(command, "install Open MPI: scripts/install-deps.sh, or `module load openmpi`");
  out << "run directory: " << run_dir << std::endl;
  std::ifstream summary(run_dir + "/summary.json");
  if (summary) {
    auto json = nlohmann::json::parse(summary, nullptr, false);
    if (!json.is_discarded()) out << "status: " << json.value("status", "?") << std::endl;
  }
  return code;
}

}  // namespace galien
