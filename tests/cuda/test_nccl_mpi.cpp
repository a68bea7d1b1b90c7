// NCCL gradient sync, one rank per GPU, bootstrapped through MPI (trainers/distributed/nccl_backend.cpp):
// the backend sums device buffers, and galien's bucketed sync over CUDA parameters gives every
// rank the sum of the ranks' gradients. Skipped where galien was built without NCCL, where
// LibTorch sees no GPU, or where there are fewer GPUs than ranks (NCCL refuses two ranks on one
// device). ctest runs it with 2 ranks; bench/gpu_check.sh runs it with one rank per GPU.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "trainers/distributed/comm.h"
#include "trainers/loop/device.h"
#include "trainers/distributed/gradient_sync.h"
#include "trainers/distributed/reduce_backend.h"

namespace galien {
namespace {

#define SKIP_WITHOUT_NCCL_GPUS(comm)                                                      \
  if (!nccl_available()) GTEST_SKIP() << "galien built without NCCL";                     \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch"; \
  if (static_cast<int>(torch::cuda::device_count()) < (comm).local_size())                \
  GTEST_SKIP() << torch::cuda::device_count() << " GPUs for " << (comm).local_size()     \
               << " ranks on this node"

TEST(Nccl, BackendSumsDeviceBuffers) {
  const Comm comm = Comm::world();
  SKIP_WITHOUT_NCCL_GPUS(comm);
  const torch::Device device = choose_device("cuda", comm.local_rank());
  auto backend = make_nccl_backend(comm, device.index());
  EXPECT_TRUE(backend->device_buffers());
  const std::int64_t count = 1 << 20;
  auto send = torch::full({count}, static_cast<float>(comm.rank() + 1),
                          torch::TensorOptions().device(device));
  auto recv = torch::zeros_like(send);
  backend->start(send.data_ptr<float>(), recv.data_ptr<float>(), count);
  backend->wait_all();
  const float expected = comm.size() * (comm.size() + 1) / 2.0f;
  EXPECT_EQ(recv.min().item<float>(), expected);
  EXPECT_EQ(recv.max().item<float>(), expected);
}

TEST(Nccl, BucketedSyncSumsCudaGradients) {
  const Comm comm = Comm::world();
  SKIP_WITHOUT_NCCL_GPUS(comm);
  const torch::Device device = choose_device("cuda", comm.local_rank());
  auto backend = make_nccl_backend(comm, device.index());
  std::vector<torch::Tensor> params;
  for (std::int64_t size : {1000, 300000, 7, 2000000})
    params.push_back(torch::zeros({size}, torch::TensorOptions().device(device)).requires_grad_());
  BucketedGradientSync sync(params, *backend, /*bucket_mb=*/1);
  EXPECT_GT(sync.num_buckets(), 1u);
  sync.prepare(true);
  // A real backward, so the autograd hooks launch buckets while it runs.
  torch::Tensor loss = torch::zeros({}, torch::TensorOptions().device(device));
  for (const auto& p : params) loss = loss + p.sum() * static_cast<float>(comm.rank() + 1);
  loss.backward();
  sync.finish();
  const float expected = comm.size() * (comm.size() + 1) / 2.0f;
  for (const auto& p : params) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(p.grad().is_cuda());
    EXPECT_EQ(p.grad().min().item<float>(), expected);
    EXPECT_EQ(p.grad().max().item<float>(), expected);
  }
}

}  // namespace
}  // namespace galien
