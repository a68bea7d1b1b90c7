// Logging: spdlog to stderr, prefixed with the MPI rank once it is known. `info0` prints on
// rank 0 only (llm.c's printf0), so a 64-rank job prints one progress line, not 64.
#pragma once

#include <spdlog/spdlog.h>

namespace galien::log {

void set_rank(int rank, int world_size);  // call once after MPI init
int rank();

template <typename... Args>
void info0(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  if (rank() == 0) spdlog::info(fmt, std::forward<Args>(args)...);
}

}  // namespace galien::log
