// The README's path, through the real executable: keygen -> shard -> launch on 2 ranks.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
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

}  // namespace
