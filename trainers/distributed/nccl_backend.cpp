// NCCL backend, compiled only when CMake finds CUDA and NCCL (GALIEN_WITH_NCCL). The unique id
// is created on rank 0 and broadcast with MPI, as llm.c and torch.distributed do.
#include "trainers/distributed/reduce_backend.h"

#include "core/error.h"

#ifdef GALIEN_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace galien {

#ifdef GALIEN_WITH_NCCL
namespace {

void check_cuda(cudaError_t code, const char* what) {
  GALIEN_CHECK(code == cudaSuccess, what << ": " << cudaGetErrorString(code));
}
void check_nccl(ncclResult_t code, const char* what) {
  GALIEN_CHECK(code == ncclSuccess, what << ": " << ncclGetErrorString(code));
}

class NcclBackend : public ReduceBackend {
 public:
  NcclBackend(const Comm& comm, int device) : watchdog_(comm.watchdog()) {
    check_cuda(cudaSetDevice(device), "cudaSetDevice");
    ncclUniqueId id;
    if (comm.is_root()) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    comm.broadcast(&id, sizeof(id), 0);
    check_nccl(ncclCommInitRank(&nccl_, comm.size(), id, comm.rank()), "ncclCommInitRank");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check_cuda(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), "cudaEventCreate");
  }
  ~NcclBackend() override {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(nccl_);
    cudaEventDestroy(ready_);
    cudaStreamDestroy(stream_);
  }

  int start(const float* send, float* recv, std::size_t count) override {
    // The gradients were produced on LibTorch's current stream (the legacy default stream
    // unless a stream guard is active): order the reduction after them without blocking the
    // host, so backward keeps running while NCCL reduces.
    check_cuda(cudaEventRecord(ready_, cudaStreamLegacy), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream_, ready_, 0), "cudaStreamWaitEvent");
    check_nccl(ncclAllReduce(send, recv, count, ncclFloat32, ncclSum, nccl_, stream_),
               "ncclAllReduce");
    return ++launched_;
  }
  void reduce_now(const float* send, float* recv, std::size_t count) override {
    start(send, recv, count);  // NCCL is asynchronous either way; wait_all() completes it
  }
  void progress() override {}  // NCCL progresses on its own stream
  void wait_all() override {
    WatchScope watch(watchdog_, "ncclAllReduce(gradient buckets)");
    check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }
  bool device_buffers() const override { return true; }
  std::string name() const override { return "nccl"; }

 private:
  Watchdog* watchdog_;
  ncclComm_t nccl_;
  cudaStream_t stream_;
  cudaEvent_t ready_;
  int launched_ = 0;
};

}  // namespace

std::unique_ptr<ReduceBackend> make_nccl_backend(const Comm& comm, int device) {
  return std::make_unique<NcclBackend>(comm, device);
}
bool nccl_available() { return true; }

#else

std::unique_ptr<ReduceBackend> make_nccl_backend(const Comm&, int) {
  GALIEN_USER_ERROR("this galien was built without NCCL (CUDA toolkit or NCCL not found by "
                    "CMake); use the MPI backend or rebuild on a GPU node with CUDA and NCCL");
}
bool nccl_available() { return false; }

#endif

}  // namespace galien
