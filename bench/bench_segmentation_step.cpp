// Training step of galien's 3D U-Net on 1 or more MPI ranks: the galien side of the segmentation
// benchmark (bench/segmentation_compare.py; PyTorch side bench/segmentation_torch.py;
// docs/BENCHMARKS.md, "Segmentation").
//
//   mpirun -np 2 --bind-to core build/bench/bench_segmentation_step --patch 64,64,64 --batch 2
//
// Each step is what `galien train` does for a batch (trainers/loop/trainer.cpp): zero gradients,
// forward, Dice + cross-entropy (models/losses.h dice_ce_loss, the sum over the rank's samples
// divided by the global batch), backward with the bucketed gradient sync overlapping it (MPI,
// trainer.bucket_mb), Adam (trainers/loop/optimizer.h). Same thread setting and malloc thresholds as
// the trainer (trainers/loop/threads.h; --malloc default leaves glibc's thresholds, to see what
// keeping freed memory costs in resident memory and saves in time), initial parameters
// broadcast from rank 0.
//
// What it does not do: read shards. The patches are synthetic and held in memory (a ball of
// foreground in Gaussian noise per patch, a pool of --pool patches per rank reused in turn), so
// the figure is the model step alone, the part a patch sampler feeds; the PyTorch side uses the
// same patches the same way.
//
// Prints one JSON line (rank 0): per-step wall times after --warmup steps, their median, and
// every rank's peak resident memory (getrusage ru_maxrss).
#include <sys/resource.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/config/config.h"
#include "core/error.h"
#include "models/losses.h"
#include "models/registry.h"
#include "models/unet.h"
#include "trainers/distributed/comm.h"
#include "trainers/distributed/gradient_sync.h"
#include "trainers/loop/optimizer.h"
#include "trainers/distributed/reduce_backend.h"
#include "trainers/loop/threads.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[values.size() / 2];
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one;
}

// Resident memory now, from /proc/self/status (VmRSS, KiB).
double rss_now_mib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

// Minor page faults of this process so far: a fresh page the kernel maps (and zeroes) each.
long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

std::vector<std::int64_t> parse_dims(const std::string& text) {
  std::vector<std::int64_t> dims;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) dims.push_back(std::stoll(item));
  return dims;
}

// `count` patches [count, 1, D, H, W] with labels [count, D, H, W]: a ball of class 1 (random
// centre in the middle half, radius a quarter to three eighths of the smallest side) in class
// 0; image = label + N(0, 0.5^2). Bench/segmentation_torch.py draws the same way (same seed,
// same LibTorch generator).
std::pair<torch::Tensor, torch::Tensor> synthetic_patches(std::int64_t count,
                                                          const std::vector<std::int64_t>& size,
                                                          std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto d = torch::arange(size[0]).view({-1, 1, 1}).to(torch::kFloat);
  const auto h = torch::arange(size[1]).view({1, -1, 1}).to(torch::kFloat);
  const auto w = torch::arange(size[2]).view({1, 1, -1}).to(torch::kFloat);
  const double side = static_cast<double>(*std::min_element(size.begin(), size.end()));
  std::vector<torch::Tensor> labels;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto u = torch::rand({4});
    const double cd = size[0] * (0.25 + 0.5 * u[0].item<double>());
    const double ch = size[1] * (0.25 + 0.5 * u[1].item<double>());
    const double cw = size[2] * (0.25 + 0.5 * u[2].item<double>());
    const double r = side * (0.25 + 0.125 * u[3].item<double>());
    labels.push_back(((d - cd).square() + (h - ch).square() + (w - cw).square() <= r * r)
                         .to(torch::kInt64));
  }
  const torch::Tensor label = torch::stack(labels);
  const torch::Tensor image = (label.to(torch::kFloat) + 0.5 * torch::randn(label.sizes()))
                                  .unsqueeze(1)
                                  .contiguous();
  return {image, label};
}

}  // namespace

int main(int argc, char** argv) {
  galien::MpiSession session(&argc, &argv);
  CLI::App app{"Training step of galien's U-Net on MPI ranks (segmentation benchmark)"};
  std::string patch_text = "64,64,64", model_name = "unet3d", sync_kind = "bucketed";
  std::string malloc_policy = "trainer";
  std::int64_t batch = 2, pool = 4;
  int classes = 2, levels = 0, base = 0, steps = 5, warmup = 2, threads = 1;
  double bucket_mb = 4.0, lr = 1e-3;
  std::uint64_t seed = 7;
  app.add_option("--patch", patch_text, "D,H,W of the training patch");
  app.add_option("--batch", batch, "global batch (split evenly over the ranks)");
  app.add_option("--classes", classes, "classes, background included");
  app.add_option("--levels", levels, "model.levels (0 = 4)");
  app.add_option("--base-channels", base, "model.base_channels (0 = 32)");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup, "untimed steps first");
  app.add_option("--threads", threads, "intra-op threads per rank (trainer.threads)");
  app.add_option("--pool", pool, "synthetic patches held per rank");
  app.add_option("--gradient-sync", sync_kind, "trainer.gradient_sync")
      ->check(CLI::IsMember({"bucketed", "flat"}));
  app.add_option("--bucket-mb", bucket_mb, "trainer.bucket_mb");
  app.add_option("--lr", lr, "Adam learning rate");
  app.add_option("--seed", seed, "seed of the initial weights and the patches");
  app.add_option("--malloc", malloc_policy,
                 "trainer: glibc malloc keeps freed memory (keep_freed_memory, as galien train); "
                 "default: glibc's own thresholds (what a Python process runs with)")
      ->check(CLI::IsMember({"trainer", "default"}));
  CLI11_PARSE(app, argc, argv);

  const galien::Comm comm = galien::Comm::world();
  try {
    const std::vector<std::int64_t> patch = parse_dims(patch_text);
    if (patch.size() != 3) GALIEN_USER_ERROR("--patch needs D,H,W, got " << patch_text);
    if (batch % comm.size() != 0)
      GALIEN_USER_ERROR("--batch " << batch << " does not split evenly over " << comm.size()
                        << " ranks");
    const std::int64_t local = batch / comm.size();
    galien::apply_threads(threads);
    if (malloc_policy == "trainer") galien::keep_freed_memory();

    galien::ModelConfig model_config;
    model_config.name = model_name;
    model_config.levels = levels;
    model_config.base_channels = base;
    galien::ModelShape shape;
    shape.num_outputs = classes;
    shape.image = {1, patch[0], patch[1], patch[2]};
    torch::manual_seed(seed);
    auto model = galien::make_model(model_config, shape);
    model->train();
    const std::vector<torch::Tensor> params = model->parameters();
    galien::broadcast_parameters(params, comm, 0);
    std::unique_ptr<galien::ReduceBackend> backend;
    std::unique_ptr<galien::GradientSync> sync;
    if (comm.size() > 1) {  // as the trainer: no sync object on one rank
      backend = galien::make_mpi_backend(comm, false);
      sync = galien::make_gradient_sync(sync_kind, params, *backend, bucket_mb);
    }
    galien::OptimConfig optim;
    optim.learning_rate = lr;
    auto optimizer = galien::make_optimizer(optim, params);

    auto [images, labels] =
        synthetic_patches(pool * local, patch, seed * 1000 + static_cast<std::uint64_t>(comm.rank()));
    const double rss_setup = rss_now_mib();
    // Rank 0's patches, summed: equal on the PyTorch side when both draw the same patches.
    const double image_sum = images.sum().item<double>();
    const std::int64_t foreground = labels.sum().item<std::int64_t>();
    const torch::Tensor weights = torch::ones({local});
    const double normaliser = static_cast<double>(batch);

    std::vector<double> step_s;
    double last_loss = 0;
    long faults_at_warmup_end = minor_faults();
    for (int s = 0; s < warmup + steps; ++s) {
      const auto t0 = Clock::now();
      const std::int64_t first = (s * local) % (pool * local);
      const torch::Tensor x = images.narrow(0, first, local);
      const torch::Tensor y = labels.narrow(0, first, local);
      galien::zero_gradients(params);
      if (sync) sync->prepare(true);
      const torch::Tensor loss = galien::dice_ce_loss(model->forward(x), y, weights) / normaliser;
      loss.backward();
      if (sync) sync->finish();
      optimizer->step();
      last_loss = loss.item<double>();
      if (s + 1 == warmup) faults_at_warmup_end = minor_faults();
      if (s >= warmup) step_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    // The global mean loss of the last step (every rank's share summed).
    double loss_sum = last_loss;
    comm.allreduce_sum(&loss_sum, 1);

    const std::vector<float> peaks =
        comm.gather(std::vector<float>{static_cast<float>(peak_rss_mib())}, 0);
    const std::vector<float> setups = comm.gather(std::vector<float>{static_cast<float>(rss_setup)}, 0);
    const double faults_per_step =
        static_cast<double>(minor_faults() - faults_at_warmup_end) / std::max(1, steps);
    const double rank_median = median(step_s);
    const double slowest = comm.allreduce_max(rank_median);
    std::int64_t parameters = 0;
    for (const auto& p : params) parameters += p.numel();
    if (comm.is_root()) {
      const nlohmann::json entry = {
          {"side", "galien"},
          {"model", model_name},
          {"ranks", comm.size()},
          {"threads", threads},
          {"patch", patch},
          {"batch", batch},
          {"classes", classes},
          {"parameters", parameters},
          {"widths", std::dynamic_pointer_cast<galien::UNet>(model)->widths()},
          {"gradient_sync", comm.size() > 1 ? sync_kind : "none (1 rank)"},
          {"malloc", malloc_policy},
          {"bucket_mb", bucket_mb},
          {"warmup", warmup},
          {"step_s", step_s},
          {"median_step_s", rank_median},
          {"slowest_rank_median_step_s", slowest},
          {"samples_per_s", static_cast<double>(batch) / rank_median},
          {"final_loss", loss_sum},
          {"rank0_image_sum", image_sum},
          {"rank0_minor_page_faults_per_step", faults_per_step},
          {"rank0_foreground_voxels", foreground},
          {"peak_rss_mib_per_rank", peaks},
          {"rss_after_setup_mib_per_rank", setups},
          {"load_average", load_average()}};
      std::cout << entry.dump() << std::endl;
    }
  } catch (const galien::UserError& e) {
    std::cerr << "bench_segmentation_step: error: " << e.what() << "\n";
    comm.abort(2);
  }
  return 0;
}
