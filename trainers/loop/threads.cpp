#include "trainers/loop/threads.h"

#include <dlfcn.h>
#include <malloc.h>
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

void keep_freed_memory() {
  // glibc returns large freed blocks (>= 128 kB: every activation buffer of a CNN step) to the
  // kernel and faults them back in on the next step: 0.94 M page faults in 2 epochs of a small
  // ResNet against PyTorch's 0.28 M (bench/findings). Keeping blocks up to 256 MB in the heap
  // removes most of them (+27% samples/s at 1 rank, docs/BENCHMARKS.md).
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

void apply_threads(int threads) {
  at::set_num_threads(threads);
  // OpenBLAS is loaded by LibTorch at run time; look it up instead of linking against it.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
}

}  // namespace galien
