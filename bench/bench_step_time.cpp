// Step time of a galien model on this machine's CPU: forward + backward + Adam step on a random
// batch, median of --repeats after two warm-up steps, and the fp32 GEMM rate (1024^3) of the
// same threads in the same run. Both in process CPU time (user + system) as well as wall time:
// the build machine is shared and busy, and CPU time is the work itself (docs/BENCHMARKS.md). Prints one entry of bench/results/step_times.json, the table
// `galien plan` scales to a GPU by the ratio of the GPU's fp32 peak to that GEMM rate
// (docs/BENCHMARKS.md, "Scaling projection").
//
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 build/bench/bench_step_time configs/wdbc-mlp.yaml \
//       --name wdbc-mlp --features 30 --classes 2 --batch 32
//
// On a GPU (bench/gpu_check.sh): --device cuda --precision bf16 --channels-last times the same
// step (trainer.precision's AutocastScope, trainers/loop/precision.h) as one block of --repeats steps
// after --warmup steps, with one synchronisation at the end (throughput, as
// bench/gpu_resnet_torch.py times PyTorch eager), and adds images/s and the CUDA caching
// allocator's peak allocated bytes (torch.cuda.max_memory_allocated's figure).
//
// The optimiser is the config's (optim.*, make_optimizer: the fused flat optimiser unless
// optim.fused=false), zeroed as the trainer zeroes it. --count-allocations adds, per steady
// step (after the warm-up), the tensor allocations c10's CPU allocator served and the calls
// to malloc/calloc/realloc/memalign of the whole process (the counting hooks below), for the
// "no allocation per step" check of docs/BENCHMARKS.md. --flat-kernel loop|tensor-ops picks the
// fused optimiser's kernel (default: the loop on the CPU); optimizer_step_ms times the
// optimiser's step alone (median over --repeats, on the last step's gradients).
#include <c10/core/CPUAllocator.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#if defined(GALIEN_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/config/config.h"
#include "core/error.h"
#include "models/registry.h"
#include "trainers/loop/device.h"
#include "trainers/loop/flat_optimizer.h"
#include "trainers/loop/flat_parameters.h"
#include "trainers/loop/optimizer.h"
#include "trainers/loop/precision.h"

// Counting malloc hooks: this executable's definitions interpose on glibc's for the whole
// process (LibTorch included) and forward to glibc's own entry points. They count only while
// g_count_mallocs is set. Not in sanitizer builds, whose runtime owns malloc.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GALIEN_COUNT_MALLOCS 0
namespace {
std::atomic<bool> g_count_mallocs{false};
std::atomic<long> g_mallocs{-1};
}  // namespace
#else
#define GALIEN_COUNT_MALLOCS 1
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}
namespace {
std::atomic<bool> g_count_mallocs{false};
std::atomic<long> g_mallocs{0};
inline void count_malloc() {
  if (g_count_mallocs.load(std::memory_order_relaxed)) g_mallocs.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace
extern "C" {
void* malloc(size_t n) {
  count_malloc();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count_malloc();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count_malloc();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t alignment, size_t n) {
  count_malloc();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  count_malloc();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  count_malloc();
  void* p = __libc_memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif

namespace {

// Counts the tensor storage c10's CPU allocator hands out while installed.
struct CountingCpuAllocator final : c10::Allocator {
  c10::Allocator* base = c10::GetCPUAllocator();
  mutable std::atomic<long> count{0};
  c10::DataPtr allocate(size_t n) const override {
    count.fetch_add(1, std::memory_order_relaxed);
    return base->allocate(n);
  }
  c10::DeleterFnPtr raw_deleter() const override { return base->raw_deleter(); }
};

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double cpu_now_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

struct Timing {
  double wall_ms, cpu_ms;  // medians
};

template <class F>
Timing median_ms(int repeats, F&& f) {
  std::vector<double> wall, cpu;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const double c0 = cpu_now_ms();
    f();
    cpu.push_back(cpu_now_ms() - c0);
    wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return {median(wall), median(cpu)};
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

std::vector<std::int64_t> parse_dims(const std::string& text) {
  std::vector<std::int64_t> dims;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) dims.push_back(std::stoll(item));
  return dims;
}

// Peak bytes the caching allocator handed out on `device` since the last reset; -1 without a
// CUDA build of LibTorch (the figure is then not measured, not zero).
std::int64_t cuda_peak_allocated(const torch::Device& device) {
#if defined(GALIEN_TORCH_CUDA)
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  return stats.allocated_bytes[0].peak;  // StatType::AGGREGATE
#else
  (void)device;
  return -1;
#endif
}

void cuda_reset_peak(const torch::Device& device) {
#if defined(GALIEN_TORCH_CUDA)
  c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#else
  (void)device;
#endif
}

// Conv weights (4D/5D) in channels-last order, as torch's Module.to(memory_format=...) does;
// LibTorch's C++ Module::to takes no memory format.
void to_channels_last(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
    if (p.dim() == 5) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast3d));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Step time of a galien model on CPU, for bench/results/step_times.json"};
  std::string config_path, name, image;
  std::vector<std::string> overrides;
  std::int64_t features = 0, batch = 32;
  int classes = 2, repeats = 11, threads = 1, warmup = 2;
  std::string device_setting = "cpu", precision = "fp32", flat_kernel = "auto";
  bool channels_last = false, count_allocations = false;
  app.add_option("config", config_path, "YAML config (its model: section is used)")->required();
  app.add_option("overrides", overrides, "key.path=value overrides");
  app.add_option("--name", name, "entry name")->required();
  app.add_option("--features", features, "input features (table models)");
  app.add_option("--classes", classes, "classes");
  app.add_option("--image", image, "C,H,W or C,D,H,W (image models)");
  app.add_option("--batch", batch, "samples per step");
  app.add_option("--repeats", repeats, "timed steps (median)");
  app.add_option("--threads", threads, "intra-op threads (also set OPENBLAS_NUM_THREADS)");
  app.add_option("--warmup", warmup, "untimed steps first (cuDNN autotuning, allocator)");
  app.add_option("--device", device_setting, "cpu or cuda (trainer.device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--precision", precision, "fp32 or bf16 (autocast, trainer.precision)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_flag("--channels-last", channels_last, "NHWC weights and images (image models)");
  app.add_option("--flat-kernel", flat_kernel, "fused optimiser kernel: auto, loop, tensor-ops")
      ->check(CLI::IsMember({"auto", "loop", "tensor-ops"}));
  app.add_flag("--count-allocations", count_allocations,
               "tensor allocations and malloc calls per steady step (CPU)");
  CLI11_PARSE(app, argc, argv);

  try {
    torch::set_num_threads(threads);
    torch::manual_seed(0);
    const galien::Config config = galien::load_config(config_path, overrides);
    galien::ModelShape shape;
    shape.num_features = features;
    shape.num_outputs = classes;
    const auto dims = parse_dims(image);
    if (dims.size() == 3) shape.image = {dims[0], 0, dims[1], dims[2]};
    if (dims.size() == 4) shape.image = {dims[0], dims[1], dims[2], dims[3]};
    const torch::Device device = galien::choose_device(device_setting, 0);
    const bool cuda = device.is_cuda();
    // cuDNN picks the fastest convolution algorithm per shape, as torch.backends.cudnn.benchmark
    // in the PyTorch peer.
    if (cuda) at::globalContext().setBenchmarkCuDNN(true);
    auto model = galien::make_model(config.model, shape);
    model->to(device);
    if (channels_last) to_channels_last(*model);
    model->train();
    const std::vector<torch::Tensor> params = model->parameters();
    using Kernel = galien::FlatOptimizer::Kernel;
    auto optimizer_ptr =
        flat_kernel == "auto"
            ? galien::make_optimizer(config.optim, params)
            : std::make_unique<galien::FlatOptimizer>(
                  config.optim, params, flat_kernel == "loop" ? Kernel::kLoop : Kernel::kTensorOps);
    torch::optim::Optimizer& optimizer = *optimizer_ptr;
    galien::FlatParameters* flat = galien::flat_parameters(optimizer);

    galien::ModelInputs inputs;
    const auto on = torch::TensorOptions().device(device);
    if (features > 0) inputs.features = torch::randn({batch, features}, on);
    std::int64_t voxels = 0;
    if (shape.image.present()) {
      std::vector<std::int64_t> sizes{batch, shape.image.channels};
      if (shape.image.is_volume()) sizes.push_back(shape.image.depth);
      sizes.push_back(shape.image.height);
      sizes.push_back(shape.image.width);
      inputs.image = torch::randn(sizes, on);
      if (channels_last)
        inputs.image = inputs.image.contiguous(shape.image.is_volume()
                                                   ? torch::MemoryFormat::ChannelsLast3d
                                                   : torch::MemoryFormat::ChannelsLast);
      voxels = std::max<std::int64_t>(1, shape.image.depth) * shape.image.height * shape.image.width;
    }
    // Any scalar of the output costs the same backward; squares keep every output in the graph.
    const bool bf16 = galien::use_bf16(precision);
    auto step = [&] {
      if (flat)
        flat->zero_gradients();
      else
        galien::zero_gradients(params);
      torch::Tensor loss;
      {
        galien::AutocastScope autocast(bf16, device);  // forward only, as the trainer does
        loss = model->forward(inputs).to(torch::kFloat).square().mean();
      }
      loss.backward();
      optimizer.step();
    };
    for (int w = 0; w < warmup; ++w) step();
    Timing step_ms{};
    std::int64_t peak_bytes = -1;
    if (cuda) {
      // Kernels run asynchronously: time a block of steps with one synchronisation at its end.
      torch::cuda::synchronize();
      cuda_reset_peak(device);
      const auto t0 = Clock::now();
      const double c0 = cpu_now_ms();
      for (int r = 0; r < repeats; ++r) step();
      torch::cuda::synchronize();
      step_ms.cpu_ms = (cpu_now_ms() - c0) / repeats;
      step_ms.wall_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / repeats;
      peak_bytes = cuda_peak_allocated(device);
    } else {
      step_ms = median_ms(repeats, step);
    }
    const Timing optimizer_ms = median_ms(repeats, [&] {
      optimizer.step();
      if (cuda) torch::cuda::synchronize();
    });
    // Per steady step, after the timed ones (the allocator's free lists are warm by now).
    double tensor_allocations = -1, mallocs = -1;
    if (count_allocations && !cuda) {
      static CountingCpuAllocator counter;
      c10::SetCPUAllocator(&counter, /*priority=*/100);
      if (GALIEN_COUNT_MALLOCS) g_mallocs = 0;
      g_count_mallocs = true;
      for (int r = 0; r < repeats; ++r) step();
      g_count_mallocs = false;
      c10::SetCPUAllocator(counter.base, /*priority=*/100);
      tensor_allocations = static_cast<double>(counter.count) / repeats;
      mallocs = GALIEN_COUNT_MALLOCS ? static_cast<double>(g_mallocs) / repeats : -1;  // -1: not counted
    }

    const auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
    torch::mm(a, b);
    const Timing gemm_ms = median_ms(7, [&] { torch::mm(a, b); });
    const double gemm_gflops = 2.0 * 1024 * 1024 * 1024 / (gemm_ms.cpu_ms * 1e-3) / 1e9;

    std::int64_t parameters = 0, tensors = 0;
    for (const auto& p : model->parameters()) parameters += p.numel(), ++tensors;
    nlohmann::json entry = {{"name", name},
                            {"model", config.model.name},
                            {"config", config_path},
                            {"overrides", overrides},
                            {"parameters", parameters},
                            {"parameter_tensors", tensors},
                            {"features", features},
                            {"image", dims},
                            {"image_voxels", voxels},
                            {"batch", batch},
                            {"threads", threads},
                            {"repeats", repeats},
                            {"cpu_ms_per_step", step_ms.cpu_ms},
                            {"wall_ms_per_step", step_ms.wall_ms},
                            {"cpu_gemm_gflops", gemm_gflops},
                            {"wall_gemm_ms", gemm_ms.wall_ms},
                            {"load_average", load_average()},
                            {"device", galien::describe_device(device)},
                            {"precision", precision},
                            {"channels_last", channels_last},
                            {"optimizer", config.optim.name + (flat ? " (fused)" : "")},
                            {"flat_kernel", flat ? flat_kernel : "-"},
                            {"optimizer_step_ms", optimizer_ms.wall_ms},
                            {"warmup", warmup},
                            {"timing", cuda ? "block of repeats steps, one sync" : "median"},
                            {"samples_per_s", batch / (step_ms.wall_ms * 1e-3)}};
    if (cuda) entry["cuda_peak_allocated_bytes"] = peak_bytes;
    if (tensor_allocations >= 0) {
      entry["tensor_allocations_per_step"] = tensor_allocations;
      entry["mallocs_per_step"] = mallocs;
    }
    std::cout << entry.dump() << std::endl;
  } catch (const galien::UserError& e) {
    std::cerr << "bench_step_time: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
