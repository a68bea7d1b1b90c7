// Step time of a galien model on this machine's CPU: forward + backward + Adam step on a random
// batch, median of --repeats after two warm-up steps, and the fp32 GEMM rate (1024^3) of the
// same threads in the same run. Both in process CPU time (user + system) as well as wall time:
// the build machine is shared and busy, and CPU time is the work itself (docs/BENCHMARKS.md). Prints one entry of bench/results/step_times.json, the table
// `galien plan` scales to a GPU by the ratio of the GPU's fp32 peak to that GEMM rate
// (docs/BENCHMARKS.md, "Scaling projection").
//
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 build/bench/bench_step_time configs/wdbc-mlp.yaml \
//       --name wdbc-mlp --features 30 --classes 2 --batch 32
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Step time of a galien model on CPU, for bench/results/step_times.json"};
  std::string config_path, name, image;
  std::vector<std::string> overrides;
  std::int64_t features = 0, batch = 32;
  int classes = 2, repeats = 11, threads = 1;
  app.add_option("config", config_path, "YAML config (its model: section is used)")->required();
  app.add_option("overrides", overrides, "key.path=value overrides");
  app.add_option("--name", name, "entry name")->required();
  app.add_option("--features", features, "input features (table models)");
  app.add_option("--classes", classes, "classes");
  app.add_option("--image", image, "C,H,W or C,D,H,W (image models)");
  app.add_option("--batch", batch, "samples per step");
  app.add_option("--repeats", repeats, "timed steps (median)");
  app.add_option("--threads", threads, "intra-op threads (also set OPENBLAS_NUM_THREADS)");
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
    auto model = galien::make_model(config.model, shape);
    model->train();
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));

    galien::ModelInputs inputs;
    if (features > 0) inputs.features = torch::randn({batch, features});
    std::int64_t voxels = 0;
    if (shape.image.present()) {
      std::vector<std::int64_t> sizes{batch, shape.image.channels};
      if (shape.image.is_volume()) sizes.push_back(shape.image.depth);
      sizes.push_back(shape.image.height);
      sizes.push_back(shape.image.width);
      inputs.image = torch::randn(sizes);
      voxels = std::max<std::int64_t>(1, shape.image.depth) * shape.image.height * shape.image.width;
    }
    // Any scalar of the output costs the same backward; squares keep every output in the graph.
    auto step = [&] {
      optimizer.zero_grad();
      model->forward(inputs).square().mean().backward();
      optimizer.step();
    };
    step();
    step();
    const Timing step_ms = median_ms(repeats, step);

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
                            {"load_average", load_average()}};
    std::cout << entry.dump() << std::endl;
  } catch (const galien::UserError& e) {
    std::cerr << "bench_step_time: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
