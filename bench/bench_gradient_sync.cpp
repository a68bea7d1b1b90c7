// Gradient sync bandwidth, side by side in one run (docs/BENCHMARKS.md "Gradient sync"):
//   memcpy of the bytes (the local physical bound), a raw MPI_Allreduce of the same bytes with
//   separate buffers, the same in place (MPI_IN_PLACE), MPI_Iallreduce + MPI_Wait, and galien's
//   bucketed sync (gradients are views into fp32 bucket buffers -> MPI_Allreduce of each bucket
//   on its own communicator, in place, so the sums land in .grad()) and its flat reference
//   (pack everything, one allreduce, unpack) over parameters of the same total size.
// Small sizes are timed over a loop of calls (at least --min-loop-bytes per timed sample), so a
// sample is never a single microsecond-long call; the per-call time is reported.
// Run: mpirun -np 2 --bind-to core build/bench/bench_gradient_sync [--repeats 9] [--max-mb 256]
// On GPUs (bench/gpu_check.sh): --backend nccl, one rank per GPU: the raw NCCL allreduce of the
// bytes (galien's NCCL backend, in place) and galien's bucketed sync over CUDA parameters through
// it, each call ended by a stream synchronisation; one rank alone still measures the sync's own
// cost (packing, launch) with no link in the way.
// Prints one JSON object per size (median seconds per call over repeats, bus bandwidth in GB/s);
// bench/run_all.sh runs it and writes the table.
#include <mpi.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include <torch/cuda.h>

#include "trainers/distributed/comm.h"
#include "trainers/loop/device.h"
#include "trainers/distributed/gradient_sync.h"
#include "trainers/distributed/reduce_backend.h"

namespace {

// Median over `repeats` samples of the slowest rank's time per call; each sample runs `loop`
// calls back to back.
template <typename F>
double median_seconds(int repeats, int loop, const galien::Comm& comm, F&& body) {
  std::vector<double> times;
  body();  // warm-up
  for (int i = 0; i < repeats; ++i) {
    comm.barrier();
    const double start = MPI_Wtime();
    for (int k = 0; k < loop; ++k) body();
    double elapsed = (MPI_Wtime() - start) / loop;
    MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, comm.handle());
    times.push_back(elapsed);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// One line per size of NCCL figures: device buffers, every timed call complete on the GPU.
void run_nccl(const galien::Comm& comm, int repeats, double max_mb, double bucket_mb,
              double min_loop_mb) {
  const torch::Device device = galien::choose_device("cuda", comm.local_rank());
  auto backend = galien::make_nccl_backend(comm, device.index());
  const double n = comm.size();
  const auto on = torch::TensorOptions().device(device);
  for (std::size_t bytes = 1024; bytes <= static_cast<std::size_t>(max_mb * 1024 * 1024); bytes *= 4) {
    const auto count = static_cast<std::int64_t>(bytes / sizeof(float));
    const int loop = static_cast<int>(
        std::max<double>(1, std::ceil(min_loop_mb * 1024 * 1024 / static_cast<double>(bytes))));
    auto buffer = torch::ones({count}, on);
    const double nccl_s = median_seconds(repeats, loop, comm, [&] {
      backend->reduce_now(buffer.data_ptr<float>(), buffer.data_ptr<float>(),
                          static_cast<std::size_t>(count));
      backend->wait_all();
    });
    std::vector<torch::Tensor> params;
    const std::int64_t per = std::max<std::int64_t>(1, count / 8);
    for (std::int64_t left = count; left > 0; left -= per) {
      auto p = torch::zeros({std::min(per, left)}, on.requires_grad(true));
      p.mutable_grad() = torch::ones_like(p);
      params.push_back(p);
    }
    galien::BucketedGradientSync sync(params, *backend, bucket_mb);
    const double galien_s = median_seconds(repeats, loop, comm, [&] {
      sync.prepare(true);
      sync.finish();
      torch::cuda::synchronize(device.index());
    });
    const double bus = 2 * (n - 1) / n * static_cast<double>(bytes);
    if (comm.is_root())
      std::cout << nlohmann::json{{"backend", "nccl"}, {"bytes", bytes}, {"ranks", comm.size()},
                                  {"repeats", repeats}, {"loop", loop}, {"nccl_s", nccl_s},
                                  {"galien_s", galien_s}, {"nccl_bus_GBps", bus / nccl_s / 1e9},
                                  {"galien_bus_GBps", bus / galien_s / 1e9},
                                  {"galien_over_nccl", nccl_s / galien_s},
                                  {"buckets", sync.num_buckets()}}
                       .dump()
                << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  galien::MpiSession session(&argc, &argv);
  CLI::App app{"gradient sync bandwidth"};
  int repeats = 9;
  double max_mb = 256, bucket_mb = 4, min_loop_mb = 4;
  app.add_option("--repeats", repeats);
  app.add_option("--max-mb", max_mb);
  app.add_option("--bucket-mb", bucket_mb);
  app.add_option("--min-loop-mb", min_loop_mb, "bytes moved per timed sample, at least");
  std::string backend_name = "mpi";
  app.add_option("--backend", backend_name, "mpi (host buffers) or nccl (one GPU per rank)")
      ->check(CLI::IsMember({"mpi", "nccl"}));
  CLI11_PARSE(app, argc, argv);
  const galien::Comm comm = galien::Comm::world();
  if (backend_name == "nccl") {
    try {
      run_nccl(comm, repeats, max_mb, bucket_mb, min_loop_mb);
    } catch (const std::exception& e) {
      std::cerr << "bench_gradient_sync: error: " << e.what() << "\n";
      return 2;
    }
    return 0;
  }
  torch::set_num_threads(1);
  const double n = comm.size();
  for (std::size_t bytes = 1024; bytes <= static_cast<std::size_t>(max_mb * 1024 * 1024); bytes *= 4) {
    const auto count = static_cast<std::int64_t>(bytes / sizeof(float));
    const int loop = static_cast<int>(
        std::max<double>(1, std::ceil(min_loop_mb * 1024 * 1024 / static_cast<double>(bytes))));
    std::vector<float> send(static_cast<std::size_t>(count), 1.0f), recv(send.size());
    volatile float sink = 0;
    const double copy_s = median_seconds(repeats, loop, comm, [&] {
      std::memcpy(recv.data(), send.data(), bytes);
      sink = sink + recv[static_cast<std::size_t>(count) - 1];
    });
    const double mpi_s = median_seconds(repeats, loop, comm, [&] {
      MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                    comm.handle());
    });
    const double inplace_s = median_seconds(repeats, loop, comm, [&] {
      MPI_Allreduce(MPI_IN_PLACE, recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                    comm.handle());
    });
    const double iallreduce_s = median_seconds(repeats, loop, comm, [&] {
      MPI_Request request;
      MPI_Iallreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                     comm.handle(), &request);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
    });
    // Parameters of the same total size, split into 8 tensors like layers of a model.
    std::vector<torch::Tensor> params;
    const std::int64_t per = std::max<std::int64_t>(1, count / 8);
    for (std::int64_t left = count; left > 0; left -= per) {
      auto p = torch::zeros({std::min(per, left)}, torch::requires_grad());
      p.mutable_grad() = torch::ones_like(p);
      params.push_back(p);
    }
    auto backend = galien::make_mpi_backend(comm, false);
    galien::BucketedGradientSync sync(params, *backend, bucket_mb);
    const double galien_s = median_seconds(repeats, loop, comm, [&] {
      sync.prepare(true);
      sync.finish();  // no backward here: finish() launches every bucket, in order
    });
    double flat_s = 0;
    {
      // Fresh parameters: the bucketed sync above made their .grad() views of its buffers.
      std::vector<torch::Tensor> flat_params;
      for (const auto& p : params) {
        auto q = torch::zeros_like(p.detach()).requires_grad_();
        q.mutable_grad() = torch::ones_like(q);
        flat_params.push_back(q);
      }
      galien::FlatGradientSync flat(flat_params, *backend);
      flat_s = median_seconds(repeats, loop, comm, [&] {
        flat.prepare(true);
        flat.finish();
      });
    }
    const double bus = 2 * (n - 1) / n * static_cast<double>(bytes);
    if (comm.is_root())
      std::cout << nlohmann::json{{"bytes", bytes}, {"ranks", comm.size()},
                                  {"repeats", repeats}, {"loop", loop},
                                  {"memcpy_s", copy_s}, {"mpi_allreduce_s", mpi_s},
                                  {"mpi_inplace_s", inplace_s},
                                  {"galien_s", galien_s}, {"galien_flat_s", flat_s},
                                  {"mpi_iallreduce_s", iallreduce_s},
                                  {"mpi_iallreduce_bus_GBps", bus / iallreduce_s / 1e9},
                                  {"memcpy_GBps", bytes / copy_s / 1e9},
                                  {"mpi_bus_GBps", bus / mpi_s / 1e9},
                                  {"mpi_inplace_bus_GBps", bus / inplace_s / 1e9},
                                  {"galien_bus_GBps", bus / galien_s / 1e9},
                                  {"galien_flat_bus_GBps", bus / flat_s / 1e9},
                                  {"galien_over_mpi", mpi_s / galien_s},
                                  {"buckets", sync.num_buckets()}}
                       .dump()
                << std::endl;
  }
  return 0;
}
