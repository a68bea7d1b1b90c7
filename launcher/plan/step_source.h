// Where `galien plan` gets the compute time of one step, in order of trust:
//  1. the user's own run (--from-run RUN_DIR): summary.json's timings_ms_per_step, measured by
//     the trainer on every rank-0 step, with the run's world size and batch (config.yaml);
//  2. the table of step times measured by bench/bench_step_time (bench/results/step_times.json),
//     on this project's CPU, scaled to the target GPU by the ratio of fp32 peaks.
// Both say which they are: the source string is printed with every projection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/plan/interconnect.h"
#include "launcher/plan/scaling_model.h"

namespace galien::plan {

// What a run directory says about its steps.
struct RunTimings {
  std::string run_dir;
  std::string status;        // completed | stopped | failed
  std::string device;        // "cpu", "cuda:0"
  int world_size = 0;
  std::int64_t batch_size = 0;  // trainer.batch_size of the run (global)
  std::int64_t steps = 0;       // micro-batches timed
  double data_ms = 0, compute_ms = 0, communication_ms = 0;  // per step, rank 0

  // The largest share of a global batch one rank computed: ceil(batch / world size).
  std::int64_t local_batch() const { return (batch_size + world_size - 1) / world_size; }
  bool on_gpu() const { return device.rfind("cuda", 0) == 0 || device.rfind("hip", 0) == 0; }
};

// Reads RUN_DIR/summary.json and RUN_DIR/config.yaml. UserError naming the file and what to do
// when either is missing, unreadable, or lacks the fields (a run older than step timings, or one
// that timed no step).
RunTimings read_run_timings(const std::string& run_dir);

// One line of bench/results/step_times.json.
struct StepTimeEntry {
  std::string name;          // "wdbc-mlp"
  std::string model;         // model.name
  std::string config;        // the config it was measured with
  std::int64_t parameters = 0;
  std::int64_t parameter_tensors = 0;
  std::int64_t image_voxels = 0;  // D*H*W (or H*W) of one sample; 0 = a table
  std::int64_t batch = 0;
  int threads = 0;
  double cpu_ms_per_step = 0;     // forward + backward + Adam step, median
  double cpu_gemm_gflops = 0;     // fp32 1024^3 GEMM on the same threads, same run
};

struct StepTimeTable {
  std::string file;
  std::string machine;   // what measured it
  std::string measured;  // date
  std::vector<StepTimeEntry> entries;
};

// UserError naming the file on a missing file, bad JSON or a missing field.
StepTimeTable read_step_table(const std::string& path);
// bench/results/step_times.json of this source tree.
std::string default_step_table();

// Kernel launches a GPU step costs at least, per parameter tensor (forward, two backward
// kernels, and LibTorch 1.13's per-tensor Adam update of about seven element-wise kernels), and
// what one launch costs. Assumptions, stated in docs/BENCHMARKS.md; they matter only for models
// so small that their step is shorter than the launches it needs.
inline constexpr double kKernelsPerParameterTensor = 10;
inline constexpr double kLaunchMicroseconds = 5;

// The GPU's per-sample time from a CPU measurement: the GPU is assumed to reach the same share
// of its fp32 peak on the model as the CPU reached of its measured GEMM rate, so
// gpu_ms = cpu_ms * cpu_gemm_gflops / (gpu_fp32_tflops * 1000); plus the launch floor.
ComputeModel compute_from_cpu(double cpu_ms_per_sample, double cpu_gemm_gflops,
                              const Interconnect& net, std::int64_t parameter_tensors,
                              std::string source);

// From the user's run. A GPU run is used as measured; a CPU run is scaled like the table, with
// `cpu_gemm_gflops` of the CPU that ran it (0: UserError asking for --cpu-gflops).
ComputeModel compute_from_run(const RunTimings& run, const Interconnect& net,
                              std::int64_t parameter_tensors, double cpu_gemm_gflops);

// From the table: the entry of the same model.name whose size (parameters x image voxels) is
// closest to the user's model, scaled by the ratio of sizes when they differ (compute grows
// with parameters for dense layers and with parameters x voxels for convolutions: a rough
// proxy, said in the source string). UserError listing the table's models when none matches.
ComputeModel compute_from_table(const StepTimeTable& table, const std::string& model,
                                std::int64_t parameters, std::int64_t image_voxels,
                                const Interconnect& net, std::int64_t parameter_tensors);

}  // namespace galien::plan
