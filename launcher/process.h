// Starting child processes from the launcher commands (launch, reproduce): the galien binary's
// own path, and a foreground child that receives the signals sent to galien.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace galien {

// The running galien executable (/proc/self/exe), to start ranks with the same build.
std::string self_executable();

// Runs `command` (argv[0] looked up in PATH) and waits. SIGUSR1, SIGUSR2, SIGTERM and SIGINT sent
// to this process are forwarded to the child (mpirun forwards them to the ranks, which
// checkpoint and stop). Returns the exit code, or 128 + signal.
int run_and_wait(const std::vector<std::string>& command);

// `galien train CONFIG overrides... trainer.run_dir=RUN_DIR` on `ranks` local ranks through
// mpirun (launcher/local_launch.h), threads per rank set for OpenMP and OpenBLAS. Prints the
// command, then the run directory and its status. `dry_run`: print only. Returns mpirun's code.
int run_local_training(const std::string& config_path, const std::vector<std::string>& overrides,
                       const std::string& run_dir, int ranks, bool dry_run, std::ostream& out);

}  // namespace galien
