#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif

#include <climits>
#include <vector>

#include "core/error.h"
#include "trainers/distributed/reduce_backend.h"

namespace galien {
namespace {

// send == recv asks for an in-place reduction, which MPI spells MPI_IN_PLACE.
const void* in_place(const float* send, const float* recv) {
  return send == recv ? MPI_IN_PLACE : static_cast<const void*>(send);
}

class MpiBackend : public ReduceBackend {
 public:
  MpiBackend(const Comm& comm, bool device_buffers)
      : watchdog_(comm.watchdog()), device_buffers_(device_buffers) {
    GALIEN_CHECK(MPI_Comm_dup(comm.handle(), &comm_) == MPI_SUCCESS, "MPI_Comm_dup");
  }
  ~MpiBackend() override {
    wait_all();
    MPI_Comm_free(&comm_);  // must happen before MPI_Finalize
  }

  int start(const float* send, float* recv, std::size_t count) override {
    GALIEN_CHECK(count <= static_cast<std::size_t>(INT_MAX), "bucket of " << count << " floats");
    requests_.push_back(MPI_REQUEST_NULL);
    GALIEN_CHECK(MPI_Iallreduce(in_place(send, recv), recv, static_cast<int>(count), MPI_FLOAT,
                                MPI_SUM, comm_,
                                &requests_.back()) == MPI_SUCCESS,
                 "MPI_Iallreduce");
    return static_cast<int>(requests_.size()) - 1;
  }

  void reduce_now(const float* send, float* recv, std::size_t count) override {
    GALIEN_CHECK(count <= static_cast<std::size_t>(INT_MAX), "bucket of " << count << " floats");
    WatchScope watch(watchdog_, "MPI_Allreduce(gradient bucket)");
    GALIEN_CHECK(MPI_Allreduce(in_place(send, recv), recv, static_cast<int>(count), MPI_FLOAT,
                               MPI_SUM, comm_) ==
                     MPI_SUCCESS,
                 "MPI_Allreduce");
  }

  void progress() override {
    if (requests_.empty()) return;
    int done = 0;
    MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE);
  }

  void wait_all() override {
    if (requests_.empty()) return;
    WatchScope watch(watchdog_, "MPI_Iallreduce(gradient buckets)");
    GALIEN_CHECK(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(),
                             MPI_STATUSES_IGNORE) == MPI_SUCCESS,
                 "MPI_Waitall");
    requests_.clear();
  }

  bool device_buffers() const override { return device_buffers_; }
  std::string name() const override { return device_buffers_ ? "mpi (CUDA-aware)" : "mpi"; }

 private:
  MPI_Comm comm_;
  Watchdog* watchdog_;
  bool device_buffers_;
  std::vector<MPI_Request> requests_;
};

}  // namespace

std::unique_ptr<ReduceBackend> make_mpi_backend(const Comm& comm, bool device_buffers) {
  return std::make_unique<MpiBackend>(comm, device_buffers);
}

bool mpi_is_cuda_aware() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

}  // namespace galien
