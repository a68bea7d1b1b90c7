// The run card: everything a reader needs to trust or reproduce a run is in the markdown.
#include <gtest/gtest.h>

#include <regex>

#include "trainers/observability/host_info.h"
#include "trainers/observability/run_card.h"
#include "trainers/observability/step_timings.h"

namespace galien {
namespace {

struct CardFixture {
  Config config;
  Manifest manifest;
  nlohmann::json summary;

  CardFixture() {
    config.name = "wdbc-mlp";
    config.data.shard_dir = "runs/shards/wdbc";
    config.sha256 = "c0ffee00c0ffee00";
    config.resolved_yaml = "trainer:\n  epochs: 5\n";
    manifest.key_id = "key-1234";
    StepTimings timings;
    timings.add(0.002, 0.006, 0.002);  // 2 ms data wait, 6 ms compute, 2 ms communication
    summary = {{"status", "completed"},
               {"time_s", 12.5},
               {"device", "cpu"},
               {"metrics", {{"test/accuracy", 0.975}, {"test/auc", 0.99}}},
               {"timings_ms_per_step", timings.to_json()}};
  }
  RunCardInfo info() const { return {config, manifest, "abc123manifest", 2, 4, summary}; }
};

TEST(RunCard, NamesVersionsDataConfigAndMetrics) {
  CardFixture f;
  const RunEnvironment env = current_run_environment();
  const std::string card = render_run_card(f.info(), env);
  EXPECT_NE(env.git_commit, "");
  EXPECT_NE(card.find("(commit " + env.git_commit + ")"), std::string::npos) << card;
  EXPECT_TRUE(std::regex_match(env.torch_version, std::regex("[0-9]+\\.[0-9]+.*")))
      << "LibTorch version not recorded at configure time: " << env.torch_version;
  EXPECT_NE(card.find("| LibTorch | " + env.torch_version + " |"), std::string::npos);
  EXPECT_NE(env.mpi_version.find("MPI"), std::string::npos) << env.mpi_version;
  EXPECT_NE(card.find("| MPI | " + env.mpi_version + " |"), std::string::npos);
  EXPECT_TRUE(std::regex_match(env.hdf5_version, std::regex("1\\.[0-9]+\\.[0-9]+")));
  EXPECT_NE(card.find("| HDF5 | " + env.hdf5_version + " |"), std::string::npos);
  EXPECT_NE(card.find("manifest SHA-256 abc123manifest, key id key-1234"), std::string::npos);
  EXPECT_NE(card.find("| config SHA-256 | c0ffee00c0ffee00 |"), std::string::npos);
  EXPECT_NE(card.find("| world size | 2 rank(s), 4 intra-op thread(s) each |"),
            std::string::npos);
  EXPECT_NE(card.find("| test/accuracy | 0.975 |"), std::string::npos);
  EXPECT_NE(card.find("| test/auc | 0.99 |"), std::string::npos);
  EXPECT_NE(card.find("```yaml\ntrainer:\n  epochs: 5\n```"), std::string::npos);
}

TEST(RunCard, NamesHostCpuAndDevice) {
  CardFixture f;
  RunEnvironment env = current_run_environment();
  EXPECT_EQ(env.host.hostname, hostname());
  EXPECT_GT(env.host.logical_cpus, 0);
  EXPECT_GT(env.host.cpus_allowed, 0);
  env.host.gpu = "NVIDIA H100 80GB HBM3";
  const std::string card = render_run_card(f.info(), env);
  EXPECT_NE(card.find("| host (rank 0) | " + env.host.hostname + " |"), std::string::npos);
  EXPECT_NE(card.find("| CPU | " + env.host.cpu_model + ", "), std::string::npos);
  EXPECT_NE(card.find("| device (rank 0) | cpu |"), std::string::npos);
  EXPECT_NE(card.find("| GPU | NVIDIA H100 80GB HBM3 |"), std::string::npos);
}

TEST(RunCard, StepTimingsTableHasEachPhaseAndItsShare) {
  CardFixture f;
  const std::string card = render_run_card(f.info(), current_run_environment());
  EXPECT_NE(card.find("| data wait | 2.000 | 20.0 % |"), std::string::npos) << card;
  EXPECT_NE(card.find("| compute (forward, backward, optimiser) | 6.000 | 60.0 % |"),
            std::string::npos);
  EXPECT_NE(card.find("| communication (gradient sync) | 2.000 | 20.0 % |"), std::string::npos);
  EXPECT_NE(card.find("| **total** | 10.000 | 100.0 % |"), std::string::npos);
  EXPECT_NE(card.find("Mean over 1 step(s) on rank 0."), std::string::npos);
}

TEST(RunCard, MissingTimingsSaySo) {
  EXPECT_EQ(render_step_timings(nlohmann::json()), "Not recorded.\n");
}

TEST(HostInfo, CpuModelComesFromCpuinfo) {
  const std::string cpuinfo =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
      "model name\t: AMD EPYC 7763 64-Core Processor\nflags\t\t: fpu\n\n"
      "processor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\n";
  EXPECT_EQ(cpu_model_from_cpuinfo(cpuinfo), "AMD EPYC 7763 64-Core Processor");
  EXPECT_EQ(cpu_model_from_cpuinfo("processor\t: 0\nCPU part\t: 0xd0c\n"), "unknown");
}

}  // namespace
}  // namespace galien
