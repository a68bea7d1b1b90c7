#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace galien::log {
namespace {
int g_rank = 0;
}

void set_rank(int rank, int world_size) {
  g_rank = rank;
  std::string prefix = world_size > 1 ? "[rank " + std::to_string(rank) + "] " : "";
  spdlog::set_pattern("[%H:%M:%S] " + prefix + "%l: %v");
}

int rank() { return g_rank; }

}  // namespace galien::log
