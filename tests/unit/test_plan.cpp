// galien plan's model (launcher/plan/): the alpha-beta allreduce against hand calculations, the
// projection's arithmetic and shape (efficiency 1 on one GPU, monotonic with nodes), the
// interconnect sections of the shipped profiles, and the two compute sources (a run directory's
// summary.json, the measured step table).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "launcher/plan/allreduce_model.h"
#include "launcher/plan/interconnect.h"
#include "launcher/plan/plan_report.h"
#include "launcher/plan/scaling_model.h"
#include "launcher/plan/step_source.h"
#include "tests/support/test_support.h"

namespace galien::plan {
namespace {

namespace fs = std::filesystem;
using test::user_error_of;

// Round figures, so every expected value below is a hand calculation.
Interconnect round_net() {
  Interconnect net;
  net.gpu = "test GPU";
  net.gpu_fp32_tflops = 100;
  net.intra_node_gbytes_s = 100;   // 1e11 B/s per GPU
  net.intra_step_latency_us = 1;
  net.nics_per_node = 2;
  net.nic_gbits_s = 400;           // 2 x 50 GB/s = 1e11 B/s per node
  net.inter_step_latency_us = 2;
  net.collective_latency_us = 5;
  net.bandwidth_efficiency = 1;
  return net;
}

std::string scratch(const std::string& name) {
  const std::string dir = std::string(GALIEN_TEST_TMP) + "/plan/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Allreduce, MatchesHandCalculationForTwoNodesOfFourGpus) {
  // 100 MB in one bucket over 2 nodes x 4 GPUs:
  //   intra = 2*3*1 us + 2*3/4 * 1e8 B / 1e11 B/s = 6 us + 1.5 ms
  //   inter = 2*1*2 us + 2*1/2 * 1e8 B / 1e11 B/s = 4 us + 1.0 ms
  //   calls = 5 us
  const AllreduceTime t = allreduce_time(round_net(), 2, 4, 1e8, 1);
  EXPECT_EQ(t.buckets, 1);
  EXPECT_NEAR(t.intra_s, 6e-6 + 1.5e-3, 1e-12);
  EXPECT_NEAR(t.inter_s, 4e-6 + 1.0e-3, 1e-12);
  EXPECT_NEAR(t.calls_s, 5e-6, 1e-12);
  EXPECT_NEAR(t.total_s(), 2.515e-3, 1e-12);
}

TEST(Allreduce, LatencyIsPaidPerBucketAndBandwidthOnce) {
  // 25 buckets of the same 100 MB: latencies x 25, bandwidth terms unchanged.
  const AllreduceTime t = allreduce_time(round_net(), 2, 4, 1e8, 25);
  EXPECT_NEAR(t.intra_s, 25 * 6e-6 + 1.5e-3, 1e-12);
  EXPECT_NEAR(t.inter_s, 25 * 4e-6 + 1.0e-3, 1e-12);
  EXPECT_NEAR(t.calls_s, 25 * 5e-6, 1e-12);
}

TEST(Allreduce, EfficiencyScalesBandwidthTerms) {
  Interconnect net = round_net();
  net.bandwidth_efficiency = 0.5;
  EXPECT_DOUBLE_EQ(net.node_injection_bytes_s(), 0.5e11);
  EXPECT_DOUBLE_EQ(net.intra_node_bytes_s(), 0.5e11);
  const AllreduceTime t = allreduce_time(net, 2, 1, 1e8, 1);  // one GPU per node: no intra part
  EXPECT_EQ(t.intra_s, 0);
  EXPECT_NEAR(t.inter_s, 4e-6 + 2.0e-3, 1e-12);
}

TEST(Allreduce, NothingOnOneGpu) {
  const AllreduceTime t = allreduce_time(round_net(), 1, 1, 1e8, 3);
  EXPECT_EQ(t.buckets, 0);
  EXPECT_EQ(t.total_s(), 0);
}

TEST(Allreduce, InterNodeTermApproachesTwiceBytesOverInjection) {
  // 2(N-1)/N -> 2: at 64 nodes the bandwidth part is 2*63/64 * 1e8 / 1e11 = 1.96875 ms.
  const AllreduceTime t = allreduce_time(round_net(), 64, 1, 1e8, 1);
  EXPECT_NEAR(t.inter_s, 2 * 63 * 2e-6 + 1.96875e-3, 1e-12);
}

TEST(Buckets, FollowGaliensGreedyReverseOrder) {
  // 1 MiB = 262,144 floats. Reverse order: 20 opens bucket 1; 300,000 would overflow it, so it
  // opens bucket 2 (alone, larger than a bucket); 10 would overflow that, so bucket 3.
  EXPECT_EQ(count_buckets({10, 300000, 20}, 1.0), 3);
  EXPECT_EQ(count_buckets({100, 100, 100}, 1.0), 1);
  EXPECT_EQ(count_buckets({262144, 262144}, 1.0), 2);
  EXPECT_EQ(count_buckets({131072, 131072}, 1.0), 1);  // exactly full
}

ComputeModel fixed_compute(double ms_per_sample, double floor_ms = 0) {
  ComputeModel c;
  c.ms_per_sample = ms_per_sample;
  c.floor_ms = floor_ms;
  c.source = "test";
  return c;
}

Workload workload(BatchMode mode, std::int64_t batch) {
  Workload w;
  w.gradient_bytes = 1e8;
  w.buckets = 1;
  w.train_samples = 100000;
  w.epochs = 10;
  w.mode = mode;
  w.batch = batch;
  return w;
}

TEST(Projection, OneGpuHasEfficiencyOneAndHandCalculatedTotals) {
  // 1 ms per sample, global batch 64 on one GPU: step 64 ms, 1000 samples/s; 100,000 samples
  // = 1563 steps per epoch (the last one partial), 10 epochs = 15,630 steps x 64 ms = 1000.32 s.
  const Projection p = project(round_net(), fixed_compute(1.0), workload(BatchMode::kGlobal, 64),
                               Layout{1, 1, 1});
  EXPECT_EQ(p.gpus, 1);
  EXPECT_DOUBLE_EQ(p.efficiency, 1.0);
  EXPECT_DOUBLE_EQ(p.step_ms, 64.0);
  EXPECT_DOUBLE_EQ(p.samples_per_s, 1000.0);
  EXPECT_EQ(p.steps_per_epoch, 1563);
  EXPECT_NEAR(p.hours, 15630 * 0.064 / 3600, 1e-12);
  EXPECT_NEAR(p.gpu_hours, p.hours, 1e-12);
  EXPECT_EQ(p.allreduce.total_s(), 0);
}

TEST(Projection, StrongScalingSplitsTheGlobalBatchAndAddsTheAllreduce) {
  // Global batch 64 over 2 nodes x 4 GPUs: 8 per GPU = 8 ms of compute + 2.515 ms allreduce
  // (the hand calculation above), no overlap: 10.515 ms per step of 64 samples.
  const Projection p = project(round_net(), fixed_compute(1.0), workload(BatchMode::kGlobal, 64),
                               Layout{2, 4, 4});
  EXPECT_EQ(p.local_batch, 8);
  EXPECT_NEAR(p.step_ms, 10.515, 1e-9);
  EXPECT_NEAR(p.samples_per_s, 64 / 10.515e-3, 1e-6);
  // 1 GPU: 64 samples in 64 ms; 8 GPUs: 64 samples in 10.515 ms -> (64 / 10.515) / (8 x 1).
  EXPECT_NEAR(p.efficiency, 8.0 / 10.515, 1e-9);
  EXPECT_NEAR(p.gpu_hours, 8 * p.hours, 1e-12);
}

TEST(Projection, OverlapHidesAtMostTheBackwardShare) {
  Workload w = workload(BatchMode::kPerGpu, 8);
  w.overlap = 1.0;
  // 8 ms compute: backward is 2/3 of it = 5.333 ms, more than the 2.515 ms allreduce: all hidden.
  Projection p = project(round_net(), fixed_compute(1.0), w, Layout{2, 4, 4});
  EXPECT_NEAR(p.hidden_ms, 2.515, 1e-9);
  EXPECT_NEAR(p.exposed_comm_ms, 0, 1e-9);
  // 1 sample per GPU: 1 ms compute, only 0.667 ms of backward to hide 2.515 ms behind.
  w.batch = 1;
  p = project(round_net(), fixed_compute(1.0), w, Layout{2, 4, 4});
  EXPECT_NEAR(p.hidden_ms, 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(p.exposed_comm_ms, 2.515 - 2.0 / 3.0, 1e-9);
}

TEST(Projection, AccumulationSpreadsTheAllreduceOverItsBatches) {
  Workload w = workload(BatchMode::kPerGpu, 8);
  w.accumulation = 4;
  const Projection p = project(round_net(), fixed_compute(1.0), w, Layout{2, 4, 4});
  EXPECT_NEAR(p.exposed_comm_ms, 2.515 / 4, 1e-9);
}

TEST(Projection, LaunchFloorBindsForTinyBatches) {
  const Projection p = project(round_net(), fixed_compute(0.001, 0.3),
                               workload(BatchMode::kPerGpu, 16), Layout{1, 1, 1});
  EXPECT_TRUE(p.floor_binds);
  EXPECT_DOUBLE_EQ(p.compute_ms, 0.3);
}

TEST(Projection, RefusedWhenTheGlobalBatchIsSmallerThanTheRanks) {
  const Projection p = project(round_net(), fixed_compute(1.0), workload(BatchMode::kGlobal, 4),
                               Layout{2, 4, 4});
  EXPECT_CONTAINS(p.refused, "trainer.batch_size 4 < 8 ranks");
}

TEST(Projection, ChargesWholeNodesWhenExclusive) {
  const Projection p = project(round_net(), fixed_compute(1.0), workload(BatchMode::kPerGpu, 8),
                               Layout{2, 4, 8});
  EXPECT_EQ(p.charged_gpus, 16);
  EXPECT_NEAR(p.gpu_hours, 16 * p.hours, 1e-12);
}

TEST(Projection, WeakScalingIsMonotonicInNodes) {
  const auto rows = sweep(round_net(), fixed_compute(1.0), workload(BatchMode::kPerGpu, 32), 4, 4);
  ASSERT_EQ(rows.size(), 7u);  // 1, 2, 4, ..., 64
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].nodes, 2 * rows[i - 1].nodes);
    EXPECT_GE(rows[i].step_ms, rows[i - 1].step_ms);
    EXPECT_LE(rows[i].efficiency, rows[i - 1].efficiency + 1e-12);
    EXPECT_GT(rows[i].samples_per_s, rows[i - 1].samples_per_s);
    EXPECT_LT(rows[i].hours, rows[i - 1].hours);
    EXPECT_GE(rows[i].gpu_hours, rows[i - 1].gpu_hours * (1 - 1e-12));
  }
}

TEST(Projection, StrongScalingIsMonotonicUntilRefused) {
  const auto rows = sweep(round_net(), fixed_compute(1.0), workload(BatchMode::kGlobal, 128), 4, 4);
  // 128 samples over 4..128 GPUs is allowed; 256 GPUs (64 nodes) is refused.
  EXPECT_TRUE(rows[5].refused.empty());
  EXPECT_FALSE(rows[6].refused.empty());
  for (std::size_t i = 1; i < 6; ++i) {
    EXPECT_LE(rows[i].step_ms, rows[i - 1].step_ms);
    EXPECT_LE(rows[i].efficiency, rows[i - 1].efficiency + 1e-12);
  }
}

TEST(Projection, BadInputsAreUserErrors) {
  Workload w = workload(BatchMode::kGlobal, 64);
  w.train_samples = 0;
  EXPECT_CONTAINS(user_error_of([&] { project(round_net(), fixed_compute(1), w, {}); }),
                  "--samples N");
  w = workload(BatchMode::kGlobal, 64);
  w.overlap = 1.5;
  EXPECT_CONTAINS(user_error_of([&] { project(round_net(), fixed_compute(1), w, {}); }),
                  "--overlap must be in [0, 1]");
}

std::string profile(const std::string& name) {
  return std::string(GALIEN_SOURCE_DIR) + "/slurm/" + name + ".yaml";
}

TEST(Interconnect, ShippedProfilesCarryTheirFigures) {
  const Interconnect jz = read_interconnect(profile("jean-zay-h100"));
  EXPECT_EQ(jz.nics_per_node, 4);
  EXPECT_DOUBLE_EQ(jz.nic_gbits_s, 400);
  EXPECT_DOUBLE_EQ(jz.node_injection_bytes_s(), 4 * 50e9 * 0.8);  // 160 GB/s
  EXPECT_CONTAINS(jz.source, "idris.fr");
  EXPECT_CONTAINS(jz.accounting, "@h100");
  const Interconnect ad = read_interconnect(profile("adastra-mi250"));
  EXPECT_DOUBLE_EQ(ad.node_injection_bytes_s(), 4 * 25e9 * 0.8);  // 80 GB/s
  EXPECT_DOUBLE_EQ(ad.gpu_fp32_tflops, 23.95);
  EXPECT_CONTAINS(ad.source, "cines.fr");
  EXPECT_CONTAINS(ad.accounting, "GCD");
}

TEST(Interconnect, UnknownKeyGetsItsLineAndTheClosestKey) {
  const std::string dir = scratch("interconnect");
  std::string text;
  {
    std::ifstream in(profile("jean-zay-h100"));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = text.find("  nic_gbits_s:");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 14, "  nic_gbit_s:");
  write(dir + "/typo.yaml", text);
  const std::string line = std::to_string(std::count(text.begin(), text.begin() + at, '\n') + 1);
  const std::string message = user_error_of([&] { read_interconnect(dir + "/typo.yaml"); });
  EXPECT_CONTAINS(message, "typo.yaml:" + line + ":3: unknown key 'nic_gbit_s' in section "
                           "'interconnect'; did you mean 'nic_gbits_s'?");
}

TEST(Interconnect, MissingSectionOrKeyOrBadValueSaysWhatToAdd) {
  const std::string dir = scratch("interconnect-missing");
  write(dir + "/none.yaml", "description: x\nnode: {gpus: 4}\n");
  const std::string none = user_error_of([&] { read_interconnect(dir + "/none.yaml"); });
  EXPECT_CONTAINS(none, "none.yaml:1:1: no interconnect: section");
  EXPECT_CONTAINS(none, "nics_per_node");
  write(dir + "/partial.yaml", "interconnect:\n  gpu: x\n  nics_per_node: 4\n");
  EXPECT_CONTAINS(user_error_of([&] { read_interconnect(dir + "/partial.yaml"); }),
                  "partial.yaml:1:1: interconnect is missing gpu_fp32_tflops");
  std::string text;
  {
    std::ifstream in(profile("adastra-mi250"));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = text.find("bandwidth_efficiency: 0.8");
  text.replace(at, 25, "bandwidth_efficiency: 1.5");
  write(dir + "/bad.yaml", text);
  const std::string line =
      std::to_string(std::count(text.begin(), text.begin() + at, '\n') + 1);
  EXPECT_CONTAINS(user_error_of([&] { read_interconnect(dir + "/bad.yaml"); }),
                  "bad.yaml:" + line + ":25: interconnect.bandwidth_efficiency must be a number in "
                  "(0, 1], got '1.5'");
}

// A run directory as galien train leaves it (only the files plan reads).
std::string fake_run(const std::string& name, const std::string& device, int world, int batch) {
  const std::string dir = scratch(name);
  write(dir + "/summary.json",
        "{\"status\": \"completed\", \"world_size\": " + std::to_string(world) +
            ", \"device\": \"" + device +
            "\", \"timings_ms_per_step\": {\"data\": 0.5, \"compute\": 12.0, "
            "\"communication\": 0.25, \"steps\": 400}}");
  write(dir + "/config.yaml", "name: x\ntrainer:\n  epochs: 3\n  batch_size: " +
                                  std::to_string(batch) + "\n");
  return dir;
}

TEST(RunTimings, ReadsSummaryAndBatch) {
  const RunTimings run = read_run_timings(fake_run("run-gpu", "cuda:0", 3, 32));
  EXPECT_EQ(run.status, "completed");
  EXPECT_EQ(run.world_size, 3);
  EXPECT_EQ(run.steps, 400);
  EXPECT_DOUBLE_EQ(run.compute_ms, 12.0);
  EXPECT_DOUBLE_EQ(run.data_ms, 0.5);
  EXPECT_EQ(run.batch_size, 32);
  EXPECT_EQ(run.local_batch(), 11);  // ceil(32 / 3)
  EXPECT_TRUE(run.on_gpu());
}

TEST(RunTimings, GpuRunIsUsedAsMeasuredAndCpuRunNeedsItsGemmRate) {
  Interconnect net = round_net();  // 100 TFLOP/s
  const ComputeModel gpu =
      compute_from_run(read_run_timings(fake_run("run-gpu2", "cuda:0", 2, 16)), net, 6, 0);
  EXPECT_DOUBLE_EQ(gpu.ms_per_sample, 12.0 / 8);
  EXPECT_DOUBLE_EQ(gpu.data_ms_per_sample, 0.5 / 8);
  EXPECT_CONTAINS(gpu.source, "used as measured");
  const RunTimings cpu_run = read_run_timings(fake_run("run-cpu", "cpu", 2, 16));
  EXPECT_CONTAINS(user_error_of([&] { compute_from_run(cpu_run, net, 6, 0); }), "--cpu-gflops");
  // 100 GFLOP/s CPU vs 100 TFLOP/s GPU: 1000x faster.
  const ComputeModel scaled = compute_from_run(cpu_run, net, 6, 100);
  EXPECT_DOUBLE_EQ(scaled.ms_per_sample, 12.0 / 8 / 1000);
  EXPECT_DOUBLE_EQ(scaled.floor_ms, 6 * kKernelsPerParameterTensor * kLaunchMicroseconds * 1e-3);
  EXPECT_CONTAINS(scaled.source, "1000x");
}

TEST(RunTimings, MissingFilesAndFieldsNameTheFile) {
  const std::string empty = scratch("run-empty");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(empty); }), "summary.json: no such file");
  write(empty + "/summary.json", "{\"status\": \"completed\", \"world_size\": 1}");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(empty); }),
                  "no 'timings_ms_per_step' (this run predates step timings");
  write(empty + "/summary.json",
        "{\"status\": \"failed\", \"world_size\": 1, \"timings_ms_per_step\": {\"data\": 0, "
        "\"compute\": 0, \"communication\": 0, \"steps\": 0}}");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(empty); }), "timed no training step");
}

TEST(RunTimings, ConfigTypoOrBadBatchGetsFileLineColumn) {
  const std::string dir = fake_run("run-typo", "cuda:0", 1, 8);
  const std::string config = dir + "/config.yaml";
  write(config, "name: x\ntrainer:\n  epochs: 3\n  batch_sise: 8\n");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(dir); }),
                  config + ":4:3: missing key 'batch_size' in section 'trainer'; did you mean "
                           "'batch_size' instead of 'batch_sise'?");
  write(config, "name: x\ntrainer:\n  batch_size: eight\n");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(dir); }),
                  config + ":3:15: trainer.batch_size must be an integer >= 1, got 'eight'");
  write(config, "name: x\n");
  EXPECT_CONTAINS(user_error_of([&] { read_run_timings(dir); }),
                  config + ":1:1: missing key 'trainer' in the top level; config.yaml of galien "
                           "train holds every key");
}

StepTimeTable two_entry_table() {
  StepTimeTable table;
  table.file = "steps.json";
  table.machine = "test CPU";
  table.measured = "today";
  StepTimeEntry mlp{"small-mlp", "mlp", "c.yaml", 1000, 6, 0, 32, 1, 3.2, 100};
  StepTimeEntry resnet{"resnet", "resnet2d", "r.yaml", 1000000, 62, 4096, 4, 1, 400, 100};
  table.entries = {mlp, resnet};
  return table;
}

TEST(StepTable, ExactMatchIsScaledOnlyToTheGpu) {
  // 3.2 ms / 32 samples = 0.1 ms per sample on a 100 GFLOP/s CPU; the 100 TFLOP/s GPU is 1000x.
  const ComputeModel c = compute_from_table(two_entry_table(), "mlp", 1000, 0, round_net(), 6);
  EXPECT_DOUBLE_EQ(c.ms_per_sample, 0.1 / 1000);
  EXPECT_CONTAINS(c.source, "entry 'small-mlp'");
  EXPECT_EQ(c.source.find("rough proxy"), std::string::npos);
}

TEST(StepTable, OtherSizesScaleByParametersTimesVoxels) {
  // Twice the parameters on a quarter of the voxels: half the per-sample time.
  const ComputeModel c =
      compute_from_table(two_entry_table(), "resnet2d", 2000000, 1024, round_net(), 62);
  EXPECT_DOUBLE_EQ(c.ms_per_sample, 400.0 / 4 * 0.5 / 1000);
  EXPECT_CONTAINS(c.source, "x 0.500");
  EXPECT_CONTAINS(c.source, "rough proxy");
}

TEST(StepTable, UnknownModelListsWhatTheTableHas) {
  const std::string message = user_error_of(
      [&] { compute_from_table(two_entry_table(), "unet3d", 10, 10, round_net(), 3); });
  EXPECT_CONTAINS(message, "no step time for model 'unet3d' (it has mlp, resnet2d)");
  EXPECT_CONTAINS(message, "--from-run");
}

TEST(StepTable, ShippedTableParses) {
  const StepTimeTable table = read_step_table(default_step_table());
  ASSERT_FALSE(table.entries.empty());
  for (const StepTimeEntry& e : table.entries) {
    EXPECT_GT(e.cpu_ms_per_step, 0) << e.name;
    EXPECT_GT(e.cpu_gemm_gflops, 0) << e.name;
  }
}

TEST(Report, HumanUnits) {
  EXPECT_EQ(human_bytes(6216), "6.2 KB");
  EXPECT_EQ(human_bytes(44.7e6), "44.7 MB");
  EXPECT_EQ(human_duration(10.0 / 3600), "10.0 s");
  EXPECT_EQ(human_duration(0.5), "30.0 min");
  EXPECT_EQ(human_duration(5), "5.0 h");
  EXPECT_EQ(human_duration(96), "4.0 days");
}

}  // namespace
}  // namespace galien::plan
