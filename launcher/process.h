// `galien launch` on this machine: mpirun of `galien train` (fork + exec and signal forwarding
// are core/process.h's).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace galien {

// `galien train CONFIG overrides... trainer.run_dir=RUN_DIR` on `ranks` local ranks through
// mpirun (launcher/local_launch.h), threads per rank set for OpenMP and OpenBLAS. Prints the
// command, then the run directory and its status. `dry_run`: print only. Returns mpirun's code.
int run_local_training(const std::string& config_path, const std::vector<std::string>& overrides,
                       const std::string& run_dir, int ranks, bool dry_run, std::ostream& out);

}  // namespace galien
