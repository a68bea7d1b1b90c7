// How gradient buckets are summed over ranks: non-blocking allreduce on float buffers.
// Backends: MPI (CPU buffers, or GPU buffers when MPI is CUDA-aware) and NCCL (GPU buffers,
// bootstrapped through MPI; built when CUDA and NCCL are found). No LibTorch here.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "trainers/distributed/comm.h"

namespace galien {

class ReduceBackend {
 public:
  virtual ~ReduceBackend() = default;
  // Starts recv = sum over ranks of send (count floats, separate buffers: an in-place
  // MPI_Iallreduce copies the whole buffer inside the start call). Calls must be made in the
  // same order on every rank. Returns a handle for wait().
  virtual int start(const float* send, float* recv, std::size_t count) = 0;
  // Blocking reduction, in place when send == recv, for buckets reduced after backward (nothing
  // left to overlap): Open MPI's
  // tuned blocking allreduce is several times faster than its non-blocking one (libnbc) at
  // 1-4 MB here (docs/BENCHMARKS.md).
  virtual void reduce_now(const float* send, float* recv, std::size_t count) = 0;
  // Lets outstanding reductions progress (MPI progresses only inside MPI calls).
  virtual void progress() = 0;
  virtual void wait_all() = 0;
  // True when buffers must be GPU memory (NCCL, CUDA-aware MPI with device tensors).
  virtual bool device_buffers() const = 0;
  virtual std::string name() const = 0;
};

// MPI_Iallreduce on a duplicate of `comm` (its own communicator, so gradient reductions never
// match another collective). `device_buffers` = the buffers will be CUDA memory (requires
// CUDA-aware MPI: see mpi_is_cuda_aware()).
std::unique_ptr<ReduceBackend> make_mpi_backend(const Comm& comm, bool device_buffers);
// NCCL communicator over the ranks of `comm`, unique id broadcast by MPI, on CUDA device
// `device`. Throws UserError when galien was built without NCCL.
std::unique_ptr<ReduceBackend> make_nccl_backend(const Comm& comm, int device);
bool nccl_available();
// MPIX_Query_cuda_support() where the MPI library has it (Open MPI), else false.
bool mpi_is_cuda_aware();

}  // namespace galien
