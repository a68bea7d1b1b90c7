// The README's path, through the real executable: keygen -> shard -> launch on 2 ranks.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>
#include <nlohmann/json.hpp>
#include "tests/support/test_support.h"

namespace {

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

using galien::test::Output;
Output run(const std::string& args) { return galien::test::run_in(kSource, kGalien + " " + args); }

// ctest runs each test as its own process, possibly in parallel: one fresh folder per test.
class CliEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    kDir = std::string(GALIEN_TEST_TMP) + "/e2e/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(kDir);
    std::filesystem::create_directories(kDir);
  }
  std::string demo_overrides(const std::string& run_name) const {
    return "data.shard_dir=" + kDir + "/shards privacy.key_file=" + kDir + "/demo.key " +
           "trainer.run_dir=" + kDir + "/runs/" + run_name;
  }
  std::string kDir;
};

TEST_F(CliEndToEnd, DemoOnTwoRanksReachesTheAccuracyTarget) {
  Output keygen = run("keygen " + kDir + "/demo.key");
  ASSERT_EQ(keygen.code, 0) << keygen.text;
  Output shard = run("shard configs/wdbc-mlp.yaml " + demo_overrides("unused"));
  ASSERT_EQ(shard.code, 0) << shard.text;
  Output launch = run("launch configs/wdbc-mlp.yaml --ranks 2 " + demo_overrides("demo"));
  ASSERT_EQ(launch.code, 0) << launch.text;
  EXPECT_NE(launch.text.find("run directory: " + kDir + "/runs/demo"), std::string::npos) << launch.text;

  const std::string run_dir = kDir + "/runs/demo";
  std::ifstream in(run_dir + "/summary.json");
  ASSERT_TRUE(in) << launch.text;
  auto summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_EQ(summary["world_size"], 2);
  EXPECT_GE(summary["metrics"]["test/accuracy"].get<double>(), 0.95) << summary.dump(2);
  EXPECT_GE(summary["metrics"]["test/auc"].get<double>(), 0.98) << summary.dump(2);
  for (const char* file : {"config.yaml", "config.sha256", "metrics.jsonl", "run_card.md",
                           "checkpoints/final.pt"})
    EXPECT_TRUE(std::filesystem::exists(run_dir + "/" + file)) << file;
}

TEST_F(CliEndToEnd, MisspeltKeyFailsWithLocationAndSuggestion) {
  const std::string config = kDir + "/typo.yaml";
  std::ofstream(config) << "extends: " << kSource << "/configs/wdbc-mlp.yaml\n"
                        << "optim:\n  learnin_rate: 0.01\n";
  Output out = run("config show " + config);
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_NE(out.text.find(config + ":3:3"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("did you mean 'learning_rate'"), std::string::npos) << out.text;
  Output launch = run("launch " + config + " --ranks 2");
  EXPECT_EQ(launch.code, 2) << launch.text;  // refused before mpirun starts
}

TEST_F(CliEndToEnd, BadOverrideIsRefused) {
  Output out = run("config show configs/wdbc-mlp.yaml trainer.epochs=ten");
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_NE(out.text.find("trainer.epochs"), std::string::npos) << out.text;
}

TEST_F(CliEndToEnd, KeyReadableByOthersIsRefused) {
  const std::string key = kDir + "/open.key";
  ASSERT_EQ(run("keygen " + key).code, 0);
  ::chmod(key.c_str(), 0644);
  Output out = run("shard configs/wdbc-mlp.yaml " + demo_overrides("x") + " privacy.key_file=" + key +
                   " data.shard_dir=" + kDir + "/open-shards");
  EXPECT_EQ(out.code, 2) << out.text;
  EXPECT_NE(out.text.find(key), std::string::npos) << out.text;
  EXPECT_FALSE(std::filesystem::exists(kDir + "/open-shards/manifest.json"));
}

// Shards without a val split train on the default monitor's fallback, said once; a monitor or
// batch the shards cannot serve stops `galien launch` before mpirun, each problem said once.
TEST_F(CliEndToEnd, WithoutAValSplitLaunchChecksFirstAndTrainsOnTrainLoss) {
  ASSERT_EQ(run("keygen " + kDir + "/demo.key").code, 0);
  const std::string noval = demo_overrides("unused") + " data.split.val=0";
  Output shard = run("shard configs/wdbc-mlp.yaml " + noval);
  ASSERT_EQ(shard.code, 0) << shard.text;

  Output refused = run("launch configs/wdbc-mlp.yaml --ranks 2 " + demo_overrides("refused") +
                       " trainer.monitor=val/auc trainer.monitor_mode=max trainer.batch_size=100000");
  EXPECT_EQ(refused.code, 2) << refused.text;
  EXPECT_NE(refused.text.find("the run would stop on 2 problems, found before starting it:"),
            std::string::npos) << refused.text;
  EXPECT_NE(refused.text.find("trainer.monitor 'val/auc' needs a val split"), std::string::npos);
  EXPECT_NE(refused.text.find("trainer.batch_size 100000 is larger than the train split"),
            std::string::npos);
  EXPECT_EQ(refused.text.find("rank"), std::string::npos) << "reported by a rank:\n" << refused.text;
  EXPECT_FALSE(std::filesystem::exists(kDir + "/runs/refused")) << "a run was started";

  Output launch = run("launch configs/wdbc-mlp.yaml --ranks 2 " + demo_overrides("noval") +
                      " trainer.epochs=2");
  ASSERT_EQ(launch.code, 0) << launch.text;
  const std::string note = "has no val split: best.pt, early stopping and the plateau schedule "
                           "follow train/loss";
  const std::size_t first = launch.text.find(note);
  ASSERT_NE(first, std::string::npos) << launch.text;
  EXPECT_EQ(launch.text.find(note, first + 1), std::string::npos) << "said twice:\n" << launch.text;
  std::ifstream in(kDir + "/runs/noval/summary.json");
  ASSERT_TRUE(in) << launch.text;
  const auto summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary["status"], "completed");
  EXPECT_FALSE(summary["metrics"].contains("val/loss")) << summary.dump(2);
  EXPECT_TRUE(summary["metrics"].contains("test/auc")) << summary.dump(2);
  EXPECT_TRUE(std::filesystem::exists(kDir + "/runs/noval/checkpoints/best.pt"));
}

// Shard once, train on any rank count: one shard per split read by 1, 2 and 3 ranks (ranks take
// contiguous sample ranges), the same global batches, so the same metrics.
TEST_F(CliEndToEnd, OneShardServesOneTwoAndThreeRanksWithTheSameMetrics) {
  ASSERT_EQ(run("keygen " + kDir + "/demo.key").code, 0);
  Output shard = run("shard configs/wdbc-mlp.yaml " + demo_overrides("unused") + " data.shards=1");
  ASSERT_EQ(shard.code, 0) << shard.text;
  std::vector<nlohmann::json> metrics;
  for (int ranks : {1, 2, 3}) {
    const std::string name = "ranks-" + std::to_string(ranks);
    Output launch = run("launch configs/wdbc-mlp.yaml --ranks " + std::to_string(ranks) + " " +
                        demo_overrides(name) + " trainer.epochs=3 trainer.batch_size=30");
    ASSERT_EQ(launch.code, 0) << launch.text;
    std::ifstream in(kDir + "/runs/" + name + "/summary.json");
    ASSERT_TRUE(in) << launch.text;
    const auto summary = nlohmann::json::parse(in);
    EXPECT_EQ(summary["world_size"], ranks);
    metrics.push_back(summary["metrics"]);
  }
  for (std::size_t i = 1; i < metrics.size(); ++i) {
    for (const char* name : {"test/accuracy", "test/auc", "test/loss", "val/loss"}) {
      ASSERT_TRUE(metrics[i].contains(name)) << metrics[i].dump(2);
      // Summation order differs with the rank count: equal up to float rounding.
      EXPECT_NEAR(metrics[i][name].get<double>(), metrics[0][name].get<double>(), 1e-4)
          << name << " at " << i + 1 << " ranks";
    }
  }
}

}  // namespace
