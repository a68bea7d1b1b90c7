// Running a scheduler command (sbatch, ccc_msub) and capturing what it printed.
#pragma once

#include <string>
#include <vector>

namespace galien::slurm {

struct CommandResult {
  int code = 0;        // exit status; 127 when the program cannot be started
  std::string output;  // stdout and stderr together
};

CommandResult run_command(const std::vector<std::string>& argv);

}  // namespace galien::slurm
