// galien launch CONFIG --ranks N [key=value ...]: start `galien train` locally through mpirun
// and print the run directory. (Slurm submission: `--cluster`, a later issue.)
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/error.h"
#include "launcher/commands/commands.h"
#include "launcher/local_launch.h"
#include "trainers/run_dir.h"

namespace galien::commands {
namespace {

std::string self_executable() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  GALIEN_CHECK(n > 0, "readlink /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

int run_and_wait(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  GALIEN_CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::cerr << "galien: error: cannot run " << argv[0]
              << " (install Open MPI: scripts/install-deps.sh, or `module load openmpi`)\n";
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

Runner add_launch(CLI::App& app) {
  auto* cmd = app.add_subcommand("launch", "Start a training job locally through mpirun");
  auto path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto ranks = std::make_shared<int>(0);
  cmd->add_option("config", *path, "YAML config file")->required();
  cmd->add_option("overrides", *overrides, "key.path=value overrides");
  cmd->add_option("--ranks,-n", *ranks, "MPI ranks (default: launch.ranks)")->check(CLI::Range(1, 100000));
  return [=] {
    // Validate here, before starting any process: a typo fails in a second, not after mpirun.
    Config config = load_config(*path, *overrides);
    const std::string run_dir = resolve_run_dir(config);
    LocalLaunch launch;
    launch.ranks = *ranks > 0 ? *ranks : config.launch.ranks;
    launch.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    launch.as_root = ::geteuid() == 0;
    launch.executable = self_executable();
    launch.train_args = {*path};
    launch.train_args.insert(launch.train_args.end(), overrides->begin(), overrides->end());
    launch.train_args.push_back("trainer.run_dir=" + run_dir);
    const std::string threads = std::to_string(threads_per_rank(launch));
    ::setenv("OMP_NUM_THREADS", threads.c_str(), 1);
    ::setenv("OPENBLAS_NUM_THREADS", threads.c_str(), 1);

    const auto command = mpirun_command(launch);
    std::string shown;
    for (const auto& arg : command) shown += (shown.empty() ? "" : " ") + arg;
    std::cout << "galien launch: " << shown << std::endl;
    const int code = run_and_wait(command);
    std::cout << "run directory: " << run_dir << std::endl;
    std::ifstream summary(run_dir + "/summary.json");
    if (summary) {
      auto json = nlohmann::json::parse(summary, nullptr, false);
      if (!json.is_discarded()) std::cout << "status: " << json.value("status", "?") << std::endl;
    }
    return code;
  };
}

}  // namespace galien::commands
