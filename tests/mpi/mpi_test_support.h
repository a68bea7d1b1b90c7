// Shared by the MPI test suites: one-time setup done by rank 0 for every rank.
#pragma once

#include <exception>
#include <filesystem>
#include <functional>
#include <string>

#include "trainers/distributed/comm.h"

namespace galien::test {

// Recreates `dir` and runs `setup` on rank 0 only; returns its error message ("" = it worked)
// on every rank. Rank 0 always reaches the broadcast, so a failed setup fails the tests instead
// of leaving the other ranks waiting forever.
inline std::string setup_on_root(const Comm& comm, const std::string& dir,
                                 const std::function<void()>& setup) {
  std::string error;
  if (comm.is_root()) {
    try {
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      setup();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  comm.broadcast(error, 0);
  return error;
}

}  // namespace galien::test
