#include "trainers/observability/host_info.h"

#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace galien {
namespace {

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

int cpus_in_affinity_mask() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace

std::string hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

std::string cpu_model_from_cpuinfo(std::string_view cpuinfo) {
  std::istringstream lines{std::string(cpuinfo)};
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon != std::string::npos && trim(std::string_view(line).substr(0, colon)) == "model name")
      return trim(std::string_view(line).substr(colon + 1));
  }
  return "unknown";
}

HostInfo host_info() {
  HostInfo info;
  info.hostname = hostname();
  std::ifstream file("/proc/cpuinfo");
  std::ostringstream text;
  text << file.rdbuf();
  info.cpu_model = cpu_model_from_cpuinfo(text.str());
  info.logical_cpus = static_cast<int>(std::thread::hardware_concurrency());
  info.cpus_allowed = cpus_in_affinity_mask();
  return info;
}

}  // namespace galien
