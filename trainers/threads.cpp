#include "trainers/threads.h"

#include <dlfcn.h>
#include <sched.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

namespace galien {

int choose_threads(int requested, int local_ranks) {
  if (requested > 0) return requested;
  const int node_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  CPU_ZERO(&set);
  const int bound = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : node_cores;
  return std::max(1, std::min(bound, node_cores / std::max(1, local_ranks)));
}

void apply_threads(int threads) {
  at::set_num_threads(threads);
  // OpenBLAS is loaded by LibTorch at run time; look it up instead of linking against it.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
}

}  // namespace galien
