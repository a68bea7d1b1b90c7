// `galien launch` on this machine: the mpirun command line a careful user would type.
// Kept free of process handling so the flag logic is unit-tested.
#pragma once

#include <string>
#include <vector>

namespace galien {

struct LocalLaunch {
  int ranks = 1;
  int cores = 1;                       // cores on this machine
  bool as_root = false;
  std::string executable;              // the galien binary
  std::vector<std::string> train_args; // arguments after `galien train`
};

int threads_per_rank(const LocalLaunch& launch);
// mpirun -np N [--allow-run-as-root] [--oversubscribe] --bind-to core|none
//        -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS <galien> train ...
std::vector<std::string> mpirun_command(const LocalLaunch& launch);

}  // namespace galien
