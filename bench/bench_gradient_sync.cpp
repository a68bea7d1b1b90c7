// Gradient sync bandwidth, side by side in one run (docs/BENCHMARKS.md "Gradient sync"):
//   memcpy of the bytes (the local physical bound), a raw MPI_Allreduce of the same bytes with
//   separate buffers, and galien's bucketed sync (pack fp32 buckets -> MPI_Iallreduce on its own
//   communicator -> unpack into .grad) over parameters of the same total size.
// Run: mpirun -np 2 --bind-to core build/bench/bench_gradient_sync [--repeats 9] [--max-mb 256]
// Prints one JSON object per size (median seconds over repeats, bus bandwidth in GB/s).
#include <mpi.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "trainers/comm.h"
#include "trainers/gradient_sync.h"
#include "trainers/reduce_backend.h"

namespace {

template <typename F>
double median_seconds(int repeats, const galien::Comm& comm, F&& body) {
  std::vector<double> times;
  body();  // warm-up
  for (int i = 0; i < repeats; ++i) {
    comm.barrier();
    const double start = MPI_Wtime();
    body();
    double elapsed = MPI_Wtime() - start;
    MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, comm.handle());
    times.push_back(elapsed);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  galien::MpiSession session(&argc, &argv);
  CLI::App app{"gradient sync bandwidth"};
  int repeats = 9;
  double max_mb = 256, bucket_mb = 4;
  app.add_option("--repeats", repeats);
  app.add_option("--max-mb", max_mb);
  app.add_option("--bucket-mb", bucket_mb);
  CLI11_PARSE(app, argc, argv);
  const galien::Comm comm = galien::Comm::world();
  torch::set_num_threads(1);
  const double n = comm.size();
  for (std::size_t bytes = 1024; bytes <= static_cast<std::size_t>(max_mb * 1024 * 1024); bytes *= 4) {
    const auto count = static_cast<std::int64_t>(bytes / sizeof(float));
    std::vector<float> send(static_cast<std::size_t>(count), 1.0f), recv(send.size());
    const double copy_s = median_seconds(repeats, comm, [&] {
      std::memcpy(recv.data(), send.data(), bytes);
    });
    const double mpi_s = median_seconds(repeats, comm, [&] {
      MPI_Allreduce(send.data(), recv.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM,
                    comm.handle());
    });
    const double iallreduce_s = median_seconds(repeats, comm, [&] {
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
    const double galien_s = median_seconds(repeats, comm, [&] {
      sync.prepare(true);
      sync.finish();  // no backward here: finish() launches every bucket, in order
    });
    const double bus = 2 * (n - 1) / n * static_cast<double>(bytes);
    if (comm.is_root())
      std::cout << nlohmann::json{{"bytes", bytes}, {"ranks", comm.size()},
                                  {"memcpy_s", copy_s}, {"mpi_allreduce_s", mpi_s},
                                  {"galien_s", galien_s}, {"mpi_iallreduce_s", iallreduce_s},
                                  {"mpi_iallreduce_bus_GBps", bus / iallreduce_s / 1e9},
                                  {"memcpy_GBps", bytes / copy_s / 1e9},
                                  {"mpi_bus_GBps", bus / mpi_s / 1e9},
                                  {"galien_bus_GBps", bus / galien_s / 1e9},
                                  {"galien_over_mpi", mpi_s / galien_s},
                                  {"buckets", sync.num_buckets()}}
                       .dump()
                << std::endl;
  }
  return 0;
}
