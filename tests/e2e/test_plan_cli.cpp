// galien plan through the real executable: the projection from the shipped step table with the
// model built from a real manifest, from a real training run's summary.json, the sweep, and the
// errors a user meets (unknown cluster, a profile without interconnect figures, unsharded data).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace {

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

using galien::test::Output;
Output run(const std::string& args) { return galien::test::run_in(kSource, kGalien + " " + args); }

class PlanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/e2e-plan/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::string data_overrides() const {
    return "data.shard_dir=" + dir_ + "/shards privacy.key_file=" + dir_ + "/demo.key";
  }
  void shard() {
    Output keygen = run("keygen " + dir_ + "/demo.key");
    ASSERT_EQ(keygen.code, 0) << keygen.text;
    Output shard = run("shard configs/wdbc-mlp.yaml " + data_overrides());
    ASSERT_EQ(shard.code, 0) << shard.text;
  }
  std::string dir_;
};

TEST_F(PlanCli, ProjectsFromTheTableWithTheModelOfTheManifest) {
  shard();
  Output plan = run("plan configs/wdbc-mlp.yaml " + data_overrides() +
                    " --cluster jean-zay-h100 --nodes 2 --json");
  ASSERT_EQ(plan.code, 0) << plan.text;
  const auto json = nlohmann::json::parse(plan.text);
  std::ifstream manifest_file(dir_ + "/shards/manifest.json");
  const auto manifest = nlohmann::json::parse(manifest_file);

  EXPECT_EQ(json["kind"], "projection");
  EXPECT_EQ(json["cluster"], "jean-zay-h100");
  // 30 features -> 32 -> 16 -> 2: (30*32 + 32) + (32*16 + 16) + (16*2 + 2) = 1,554.
  EXPECT_EQ(json["model"]["parameters"], 1554);
  EXPECT_EQ(json["model"]["parameter_tensors"], 6);
  EXPECT_EQ(json["model"]["gradient_bytes"], 4 * 1554);
  EXPECT_EQ(json["model"]["buckets"], 1);
  EXPECT_EQ(json["workload"]["train_samples"], manifest["splits"]["train"]["num_samples"]);
  EXPECT_EQ(json["workload"]["epochs"], 15);  // wdbc-mlp.yaml
  EXPECT_EQ(json["workload"]["overlap"], 0);
  EXPECT_NE(json["compute"]["source"].get<std::string>().find("step_times.json"), std::string::npos);

  const auto& p = json["projection"];
  EXPECT_EQ(p["gpus"], 8);
  EXPECT_EQ(p["global_batch"], 32);  // base/clinical-mlp.yaml
  EXPECT_EQ(p["local_batch"], 4);
  const double step = p["step_ms"].get<double>();
  EXPECT_NEAR(step, p["compute_ms"].get<double>() + p["exposed_comm_ms"].get<double>(), 1e-9);
  EXPECT_GT(p["allreduce_ms"]["inter_node"].get<double>(), 0);
  EXPECT_GT(p["allreduce_ms"]["intra_node"].get<double>(), 0);
  EXPECT_NEAR(p["samples_per_s"].get<double>(), 32 / (step * 1e-3), 1e-6);
  EXPECT_GT(p["efficiency"].get<double>(), 0);
  EXPECT_LT(p["efficiency"].get<double>(), 1);
  EXPECT_NEAR(p["gpu_hours"].get<double>(), 8 * p["hours_to_train"].get<double>(), 1e-12);
}

TEST_F(PlanCli, ProjectsFromARealRunsSummary) {
  shard();
  const std::string run_dir = dir_ + "/runs/short";
  Output train = run("launch configs/wdbc-mlp.yaml --ranks 1 " + data_overrides() +
                     " trainer.epochs=2 trainer.run_dir=" + run_dir);
  ASSERT_EQ(train.code, 0) << train.text;

  Output no_rate = run("plan configs/wdbc-mlp.yaml " + data_overrides() +
                       " --cluster adastra-mi250 --nodes 1 --from-run " + run_dir);
  EXPECT_EQ(no_rate.code, 2) << no_rate.text;
  EXPECT_CONTAINS(no_rate.text, "ran on cpu");
  EXPECT_CONTAINS(no_rate.text, "--cpu-gflops");

  Output plan = run("plan configs/wdbc-mlp.yaml " + data_overrides() +
                    " --cluster adastra-mi250 --nodes 1 --from-run " + run_dir +
                    " --cpu-gflops 100");
  ASSERT_EQ(plan.code, 0) << plan.text;
  EXPECT_CONTAINS(plan.text, "measured in " + run_dir + " (completed, 1 rank(s) on cpu");
  EXPECT_CONTAINS(plan.text, "A projection from a model");
  EXPECT_CONTAINS(plan.text, "GPU-hours");
  EXPECT_CONTAINS(plan.text, "8 GPUs charged");  // Adastra nodes are exclusive: 8 GCDs
  EXPECT_CONTAINS(plan.text, "GCD-hours");
}

TEST_F(PlanCli, SweepPrintsOneRowPerNodeCount) {
  Output plan = run("plan configs/wdbc-mlp.yaml data.shard_dir=" + dir_ +
                    "/none --features 30 --samples 398 --cluster jean-zay-h100 --nodes 1 "
                    "--batch-per-gpu 16 --sweep");
  ASSERT_EQ(plan.code, 0) << plan.text;
  for (const char* row : {"| 1 | 4 | 16 |", "| 2 | 8 | 16 |", "| 64 | 256 | 16 |"})
    EXPECT_CONTAINS(plan.text, row);
  EXPECT_CONTAINS(plan.text, "from --samples");
}

TEST_F(PlanCli, UnknownClusterListsTheProfiles) {
  Output plan = run("plan configs/wdbc-mlp.yaml --features 30 --samples 100 --cluster jean-zay-h200");
  EXPECT_EQ(plan.code, 2) << plan.text;
  EXPECT_CONTAINS(plan.text, "no such cluster profile");
  EXPECT_CONTAINS(plan.text, "did you mean 'jean-zay-h100'?");
  EXPECT_CONTAINS(plan.text, "adastra-mi250");
}

TEST_F(PlanCli, ProfileWithoutFiguresSaysWhatToAdd) {
  Output plan = run("plan configs/wdbc-mlp.yaml --features 30 --samples 100 --cluster irene-v100");
  EXPECT_EQ(plan.code, 2) << plan.text;
  // At the profile's first key (line 5, after its comments): the top-level map it belongs in.
  EXPECT_CONTAINS(plan.text, "irene-v100.yaml:5:1: no interconnect: section");
}

TEST_F(PlanCli, UnshardedDataNeedsTheFeatureCount) {
  Output plan = run("plan configs/wdbc-mlp.yaml data.shard_dir=" + dir_ +
                    "/none --samples 100 --cluster jean-zay-h100");
  EXPECT_EQ(plan.code, 2) << plan.text;
  EXPECT_CONTAINS(plan.text, "--features N");
}

}  // namespace
