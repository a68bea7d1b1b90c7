// One message for an error every rank hits. A config or data problem found before step 1 stops
// every rank with the same UserError, and N ranks would print it N times, interleaved. Rank 0
// reports at once and takes the job down (MPI_Abort); the other ranks wait a moment first, so
// when rank 0 failed too only its message is seen, and when only they failed (a shard of their
// own) theirs still is.
#pragma once

#include <chrono>
#include <thread>

#include "trainers/distributed/comm.h"

namespace galien::commands {

inline void report_once_across_ranks(const Comm& comm, bool user_error) {
  if (comm.size() > 1 && user_error && comm.rank() != 0)
    std::this_thread::sleep_for(std::chrono::seconds(2));
}

}  // namespace galien::commands
