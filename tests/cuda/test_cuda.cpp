// The CUDA path on one GPU: a small ResNet's forward and backward on the GPU agree with the same
// model on the CPU, bf16 autocast (trainer.precision: bf16) runs the convolutions in bfloat16
// while parameters and gradients stay fp32, and channels-last gives the same step. Every test
// is skipped (GTEST_SKIP) where LibTorch sees no GPU, as on the CPU-only build machines; on a GPU
// machine bench/gpu_check.sh runs them. The fused optimiser (optim.fused) on the GPU runs its
// tensor-ops kernel over the flat buffer and must agree with the CPU loop.
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "models/registry.h"
#include "trainers/loop/device.h"
#include "trainers/loop/flat_optimizer.h"
#include "trainers/loop/precision.h"

namespace galien {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch"

std::shared_ptr<Model> small_resnet(int depth) {
  ModelConfig config;
  config.name = "resnet2d";
  config.depth = depth;
  config.base_channels = 8;
  config.small_input = true;
  ModelShape shape;
  shape.num_outputs = 3;
  shape.image = {2, 0, 16, 16};
  torch::manual_seed(7);
  return make_model(config, shape);
}

// Same weights (and batch-norm buffers) on `to` as on `from`.
void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(*src.find(p.key()));
  auto bsrc = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(*bsrc.find(b.key()));
}

TEST(Cuda, ChooseDeviceGivesAGpu) {
  SKIP_WITHOUT_CUDA();
  const torch::Device device = choose_device("cuda", 0);
  EXPECT_TRUE(device.is_cuda());
  EXPECT_TRUE(choose_device("auto", 0).is_cuda());
}

TEST(Cuda, ResNetForwardBackwardMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (int depth : {18, 50}) {
    auto cpu = small_resnet(depth);
    auto gpu = small_resnet(depth);
    copy_state(*cpu, *gpu);
    gpu->to(torch::kCUDA);
    const auto images = torch::randn({4, 2, 16, 16});
    ModelInputs cpu_in, gpu_in;
    cpu_in.image = images;
    gpu_in.image = images.to(torch::kCUDA);
    auto cpu_out = cpu->forward(cpu_in);
    auto gpu_out = gpu->forward(gpu_in);
    ASSERT_TRUE(gpu_out.is_cuda());
    // cuDNN may run fp32 convolutions in TF32 (allow_tf32 defaults to true for cuDNN) and sums
    // in another order than the CPU kernels: a TF32-sized tolerance, not fp32's.
    EXPECT_TRUE(torch::allclose(gpu_out.cpu(), cpu_out, 1e-2, 1e-2)) << "depth " << depth;
    cpu_out.square().mean().backward();
    gpu_out.square().mean().backward();
    auto cpu_params = cpu->named_parameters();
    for (const auto& p : gpu->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      const auto& ref = cpu_params.find(p.key())->grad();
      const double scale = ref.abs().max().item<double>() + 1e-6;
      EXPECT_LT((p.value().grad().cpu() - ref).abs().max().item<double>() / scale, 5e-2)
          << "depth " << depth << " " << p.key();
    }
  }
}

TEST(Cuda, Bf16AutocastRunsConvsInBf16AndKeepsFp32Gradients) {
  SKIP_WITHOUT_CUDA();
  auto model = small_resnet(18);
  model->to(torch::kCUDA);
  ModelInputs in;
  in.image = torch::randn({4, 2, 16, 16}, torch::kCUDA);
  torch::Tensor out;
  {
    AutocastScope autocast(true, torch::Device(torch::kCUDA, 0));
    out = model->forward(in);
    EXPECT_EQ(out.scalar_type(), torch::kBFloat16);  // the head's matmul ran in bf16
  }
  // Outside the scope autocast is off again: a new product is fp32.
  EXPECT_EQ(torch::mm(torch::ones({2, 2}, torch::kCUDA), torch::ones({2, 2}, torch::kCUDA))
                .scalar_type(),
            torch::kFloat);
  out.to(torch::kFloat).square().mean().backward();
  for (const auto& p : model->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  }
}

TEST(Cuda, ChannelsLastGivesTheSameOutput) {
  SKIP_WITHOUT_CUDA();
  auto model = small_resnet(50);
  model->to(torch::kCUDA);
  model->eval();
  const auto images = torch::randn({4, 2, 16, 16}, torch::kCUDA);
  ModelInputs nchw, nhwc;
  nchw.image = images;
  nhwc.image = images.contiguous(torch::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  const auto a = model->forward(nchw), b = model->forward(nhwc);
  EXPECT_TRUE(torch::allclose(a, b, 1e-3, 1e-3));
}

TEST(Cuda, AdamStepOnGpuMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  auto cpu = small_resnet(18);
  auto gpu = small_resnet(18);
  copy_state(*cpu, *gpu);
  gpu->to(torch::kCUDA);
  torch::optim::Adam cpu_opt(cpu->parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam gpu_opt(gpu->parameters(), torch::optim::AdamOptions(1e-3));
  const auto images = torch::randn({4, 2, 16, 16});
  ModelInputs ci, gi;
  ci.image = images;
  gi.image = images.to(torch::kCUDA);
  for (int step = 0; step < 3; ++step) {
    cpu_opt.zero_grad();
    gpu_opt.zero_grad();
    cpu->forward(ci).square().mean().backward();
    gpu->forward(gi).square().mean().backward();
    cpu_opt.step();
    gpu_opt.step();
  }
  auto cpu_params = cpu->named_parameters();
  for (const auto& p : gpu->named_parameters()) {
    // Adam's first steps move each weight by about lr whatever the gradient's size.
    EXPECT_LT((p.value().cpu() - *cpu_params.find(p.key())).abs().max().item<double>(), 3e-3)
        << p.key();
  }
}

// The same gradients (the CPU model's, copied over) into the fused optimiser on both devices:
// the GPU's tensor ops over the flat buffer and the CPU's loop agree to 1e-6 (absolute).
TEST(Cuda, FusedOptimiserOnGpuMatchesTheCpuLoop) {
  SKIP_WITHOUT_CUDA();
  auto cpu = small_resnet(18);
  auto gpu = small_resnet(18);
  copy_state(*cpu, *gpu);
  gpu->to(torch::kCUDA);
  OptimConfig config;  // adam, lr 1e-3
  config.weight_decay = 1e-4;
  FlatOptimizer cpu_opt(config, cpu->parameters());
  FlatOptimizer gpu_opt(config, gpu->parameters());
  EXPECT_TRUE(cpu_opt.uses_loop());
  EXPECT_FALSE(gpu_opt.uses_loop());
  EXPECT_TRUE(gpu_opt.flat().values().is_cuda());
  ModelInputs ci;
  ci.image = torch::randn({4, 2, 16, 16});
  for (int step = 0; step < 10; ++step) {
    cpu_opt.flat().zero_gradients();
    cpu->forward(ci).square().mean().backward();
    {
      torch::NoGradGuard no_grad;
      gpu_opt.flat().gradients().copy_(cpu_opt.flat().gradients());
    }
    cpu_opt.step();
    gpu_opt.step();
  }
  const double diff =
      (gpu_opt.flat().values().cpu() - cpu_opt.flat().values()).abs().max().item<double>();
  EXPECT_LE(diff, 1e-6);
}

}  // namespace
}  // namespace galien
