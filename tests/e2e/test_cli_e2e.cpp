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

// A longitudinal table (several visits per patient, each with its own outcome): rows are
// samples, patients the groups; trainer.eval_splits [train, test] gives in-sample train/ metrics
// and no val evaluation, trainer.patient_metrics the metrics on each patient's mean probability.
TEST_F(CliEndToEnd, LongitudinalTableGivesTrainAndPatientMetrics) {
  ASSERT_EQ(run("keygen " + kDir + "/demo.key").code, 0);
  {
    std::ofstream csv(kDir + "/visits.csv");
    csv << "patient_id,visit,age,hba1c,outcome\n";
    std::uint32_t state = 12345;
    auto next = [&] { state = state * 1664525u + 1013904223u; return (state >> 8) / 16777216.0; };
    for (int p = 0; p < 120; ++p) {
      const int visits = 1 + p % 4;
      const double age = 40 + 30 * next();
      for (int v = 0; v < visits; ++v) {
        const double hba1c = 5 + 4 * next();
        csv << "P" << 1000 + p << "," << v << "," << age << "," << hba1c << ","
            << (hba1c + 0.5 * next() > 7.2 ? 1 : 0) << "\n";
      }
    }
  }
  {
    std::ofstream yaml(kDir + "/visits.yaml");
    yaml << "data:\n  csv: " << kDir << "/visits.csv\n  patient_id: patient_id\n"
         << "  label: outcome\n  numeric: [age, hba1c]\n  drop: [visit]\n  shard_dir: " << kDir
         << "/shards\n  split: {val: 0.2, test: 0.2, seed: 3}\n"
         << "privacy:\n  key_file: " << kDir << "/demo.key\n"
         << "model:\n  name: mlp\n  hidden: [16]\n"
         << "trainer:\n  epochs: 3\n  batch_size: 16\n  run_dir: " << kDir << "/runs/visits\n"
         << "  eval_splits: [train, test]\n  patient_metrics: true\n";
  }
  Output shard = run("shard " + kDir + "/visits.yaml");
  ASSERT_EQ(shard.code, 0) << shard.text;
  std::ifstream manifest_in(kDir + "/shards/manifest.json");
  const auto manifest = nlohmann::json::parse(manifest_in);
  const auto& test_split = manifest["splits"]["test"];
  ASSERT_LT(test_split["num_patients"].get<int>(), test_split["num_samples"].get<int>());

  Output launch = run("launch " + kDir + "/visits.yaml --ranks 2");
  ASSERT_EQ(launch.code, 0) << launch.text;
  EXPECT_NE(launch.text.find("trainer.eval_splits leaves out val: best.pt"), std::string::npos)
      << launch.text;
  std::ifstream in(kDir + "/runs/visits/summary.json");
  ASSERT_TRUE(in) << launch.text;
  const auto metrics = nlohmann::json::parse(in)["metrics"];
  for (const char* name : {"train/accuracy", "train/auc", "train/patient/auc", "test/auc",
                           "test/patient/auc", "test/patient/accuracy"})
    EXPECT_TRUE(metrics.contains(name)) << name << " missing: " << metrics.dump(2);
  for (const auto& item : metrics.items())
    EXPECT_NE(item.key().rfind("val/", 0), 0u) << "val evaluated though left out: " << item.key();
  EXPECT_EQ(metrics["test/patient/patients"].get<int>(), test_split["num_patients"].get<int>());
  EXPECT_GT(metrics["test/patient/mixed_label_patients"].get<int>(), 0);
  // The final record of metrics.jsonl: marked final, with the train/ metrics of the final model.
  std::ifstream log(kDir + "/runs/visits/metrics.jsonl");
  std::string line, last;
  while (std::getline(log, line))
    if (!line.empty()) last = line;
  const auto final_record = nlohmann::json::parse(last);
  EXPECT_EQ(final_record["final"], 1) << last;
  EXPECT_TRUE(final_record.contains("train/patient/auc")) << last;
  EXPECT_DOUBLE_EQ(final_record["test/auc"].get<double>(), metrics["test/auc"].get<double>());
}

}  // namespace
