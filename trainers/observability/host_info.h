// What machine a rank runs on, for run cards and file names: hostname, CPU model and cores.
// A GPU name has a field already; it is filled once the trainer runs on GPUs.
#pragma once

#include <string>
#include <string_view>

namespace galien {

struct HostInfo {
  std::string hostname;
  std::string cpu_model;   // "unknown" when /proc/cpuinfo does not say
  int logical_cpus = 0;    // online on the node
  int cpus_allowed = 0;    // in this process's affinity mask (what Slurm/mpirun bound it to)
  std::string gpu;         // empty: CPU only
};

HostInfo host_info();
std::string hostname();
// The first "model name" of a /proc/cpuinfo text, or "unknown" (e.g. on some ARM kernels).
std::string cpu_model_from_cpuinfo(std::string_view cpuinfo);

}  // namespace galien
