// MPI for the trainer: process lifetime (MpiSession), the ranks' layout (world and node-local),
// and the few collectives data parallelism needs, on host buffers. No LibTorch here, so the
// collectives are testable and reusable by benches.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "trainers/distributed/watchdog.h"

namespace galien {

// MPI_Init_thread / MPI_Finalize. One per process, created by `galien train` (and MPI tests).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

class Comm {
 public:
  // The world communicator, with node-local rank from MPI_Comm_split_type(SHARED).
  static Comm world();
  // This process alone (a 1-rank job inside a larger one; used by tests and single-rank tools).
  static Comm self();

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  bool is_root() const { return rank_ == 0; }

  void barrier() const;
  void allreduce_sum(float* data, std::size_t count) const;   // in place
  void allreduce_sum(double* data, std::size_t count) const;  // in place
  void allreduce_sum(std::int64_t* data, std::size_t count) const;
  double allreduce_max(double value) const;
  void broadcast(void* data, std::size_t bytes, int root) const;
  void broadcast(std::string& text, int root) const;
  // Every rank's string, in rank order (for agreement checks that name the differing ranks).
  std::vector<std::string> allgather(const std::string& text) const;
  // Concatenation of every rank's values on `root` (rank order); empty on other ranks.
  std::vector<float> gather(const std::vector<float>& values, int root) const;
  std::vector<std::int64_t> gather(const std::vector<std::int64_t>& values, int root) const;
  // Concatenation of every rank's values on every rank (rank order); `offsets`, when given,
  // receives where each rank's part starts (size() + 1 entries, the last = total).
  std::vector<float> allgather(const std::vector<float>& values,
                               std::vector<std::int64_t>* offsets = nullptr) const;
  // Terminates every rank of the job (a rank that hit an error must not leave others hanging).
  [[noreturn]] void abort(int code) const;
  // Every collective of this Comm (and of copies made afterwards) reports to `watchdog`.
  void set_watchdog(Watchdog* watchdog) { watchdog_ = watchdog; }
  Watchdog* watchdog() const { return watchdog_; }
  MPI_Comm handle() const { return comm_; }

 private:
  Comm(MPI_Comm comm, int rank, int size, int local_rank, int local_size)
      : comm_(comm), rank_(rank), size_(size), local_rank_(local_rank), local_size_(local_size) {}
  MPI_Comm comm_;
  int rank_, size_, local_rank_, local_size_;
  Watchdog* watchdog_ = nullptr;
};

// "Open MPI v4.1.4, ..." for run cards.
std::string mpi_library_version();

}  // namespace galien
