#include "launcher/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "launcher/local_launch.h"

namespace galien {
namespace {

volatile pid_t g_child = 0;

// A signal sent to galien (Ctrl-C, a batch system's SIGTERM, Slurm's SIGUSR1) goes to the
// child, which forwards it to the ranks: they checkpoint and stop instead of being orphaned.
extern "C" void forward_signal(int signal_number) {
  if (g_child > 0) ::kill(g_child, signal_number);
}

}  // namespace

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
  g_child = pid;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT})
    sigaction(signal_number, &action, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

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
  const int code = run_and_wait(command);
  out << "run directory: " << run_dir << std::endl;
  std::ifstream summary(run_dir + "/summary.json");
  if (summary) {
    auto json = nlohmann::json::parse(summary, nullptr, false);
    if (!json.is_discarded()) out << "status: " << json.value("status", "?") << std::endl;
  }
  return code;
}

}  // namespace galien
