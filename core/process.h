// Child processes, started by fork + exec (no shell, so no quoting of arguments): the launcher
// starts mpirun this way, and Slurm/PBS/Bridge submission commands (sbatch, ccc_msub).
#pragma once

#include <string>
#include <vector>

namespace galien {

// The running galien executable (/proc/self/exe), to start ranks with the same build.
std::string self_executable();

// Runs `command` (argv[0] looked up in PATH) in the foreground and waits. SIGUSR1, SIGUSR2,
// SIGTERM and SIGINT sent to this process are forwarded to the child (mpirun forwards them to
// the ranks, which checkpoint and stop). Returns the exit code, or 128 + signal; 127 when the
// program cannot be started (`missing_hint` is printed then, e.g. how to install it).
int run_and_wait(const std::vector<std::string>& command, const std::string& missing_hint = "");

struct CommandResult {
  int code = 0;        // exit status; 127 when the program cannot be started
  std::string output;  // stdout and stderr together
};

// Runs `argv` and captures what it printed (stdout and stderr together).
CommandResult run_command(const std::vector<std::string>& argv);

}  // namespace galien
