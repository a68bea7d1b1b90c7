// `galien reproduce` and `galien predict` as a researcher runs them: a shortened WDBC
// cross-validation (3 folds, 4 epochs, 2 ranks per fold), its verdict table, report.md and
// pictures; then predictions from a fold's checkpoint, which must equal the run's own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <cmath>

#include "core/fs.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using test::run_in;

// One folder per process: ctest runs each test of the suite in a process of its own, each with
// its own SetUpTestSuite, two at a time with -j2; a shared folder let one process's
// remove_all delete the run another was reading (a failure seen under load on 2026-12-07).
const std::string kTmp =
    std::string(GALIEN_TEST_TMP) + "/reproduce-cli-" + std::to_string(::getpid());
const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;
const std::string kShards = kTmp + "/shards";
const std::string kKey = kTmp + "/repro.key";

std::string wdbc_overrides() {
  return " cv.folds=3 trainer.epochs=4 data.shard_dir=" + kShards + " privacy.key_file=" + kKey;
}

class ReproduceCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kTmp);
    fs::create_directories(kTmp);
    result_ = run_in(kSource, kGalien + " reproduce configs/repro/wdbc-street1993.yaml" +
                                  wdbc_overrides() + " --ranks 2 --out " + kTmp + "/out");
  }
  static void TearDownTestSuite() { fs::remove_all(kTmp); }
  static test::Output result_;
};
test::Output ReproduceCli::result_;

TEST_F(ReproduceCli, ShortenedCrossValidationPrintsTheVerdictAndWritesTheReport) {
  // 0 = reached 0.975 +- 0.015, 4 = not reached: both are results; anything else is a failure.
  ASSERT_TRUE(result_.code == 0 || result_.code == 4) << result_.text;
  EXPECT_CONTAINS(result_.text, "| test/accuracy | 0.9750 | ");
  EXPECT_CONTAINS(result_.text, "n=3)");
  EXPECT_CONTAINS(result_.text, "galien reproduce: created controller key");
  const std::string report = read_file(kTmp + "/out/report.md");
  EXPECT_CONTAINS(report, result_.code == 0 ? "## Result: PASS" : "## Result: FAIL");
  EXPECT_CONTAINS(report, "Street, Wolberg & Mangasarian 1993");
  EXPECT_CONTAINS(report, "| repeat 1 fold 3 | ");
  for (const char* png : {"learning-curves.png", "roc.png", "folds.png"}) {
    ASSERT_TRUE(fs::exists(kTmp + "/out/" + png)) << png;
    std::ifstream file(kTmp + "/out/" + png, std::ios::binary);
    char magic[8] = {};
    file.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << png;
  }
  // Each fold trained on 2 ranks on its own shards, whose test folds partition the patients.
  std::int64_t test_patients = 0;
  for (int k = 1; k <= 3; ++k) {
    const auto summary = nlohmann::json::parse(
        read_file(kTmp + "/out/r1-f" + std::to_string(k) + "/summary.json"));
    EXPECT_EQ(summary["world_size"], 2);
    EXPECT_GT(summary["metrics"]["test/accuracy"].get<double>(), 0.85);
    const auto manifest = nlohmann::json::parse(
        read_file(kShards + "/cv-r1-f" + std::to_string(k) + "/manifest.json"));
    test_patients += manifest["splits"]["test"]["num_samples"].get<std::int64_t>();
  }
  EXPECT_EQ(test_patients, 569);
}

TEST_F(ReproduceCli, PredictFromACheckpointGivesTheRunsOwnPredictionsKeyedByPseudonym) {
  ASSERT_TRUE(result_.code == 0 || result_.code == 4) << result_.text;
  const std::string out = kTmp + "/predict-f1.csv";
  const auto predicted = run_in(
      kSource, kGalien + " predict configs/repro/wdbc-street1993.yaml" + wdbc_overrides() +
                   " --data " + kShards + "/cv-r1-f1 --checkpoint " + kTmp +
                   "/out/r1-f1/checkpoints/final.pt --split test --out " + out);
  ASSERT_EQ(predicted.code, 0) << predicted.text;
  EXPECT_CONTAINS(predicted.text, "test/accuracy");
  const std::string csv = read_file(out);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "pseudonym,label,prob_0,prob_1");
  // The same rows as the run's own file; probabilities equal up to float summation order (the
  // run evaluated on 2 ranks, predict on 1).
  std::istringstream mine(csv), runs(read_file(kTmp + "/out/r1-f1/predictions-test.csv"));
  std::string line, expected;
  std::getline(mine, line);
  std::getline(runs, expected);
  int rows = 0;
  double worst = 0;
  while (std::getline(mine, line)) {
    ASSERT_TRUE(std::getline(runs, expected)) << "more rows than the run's file";
    const auto a = line.find(','), b = expected.find(',');
    ASSERT_EQ(line.substr(0, a), expected.substr(0, b)) << "row " << rows;
    EXPECT_TRUE(std::regex_match(line.substr(0, a), std::regex("[0-9a-f]{64}"))) << line;
    std::istringstream x(line.substr(a + 1)), y(expected.substr(b + 1));
    for (std::string u, v; std::getline(x, u, ',') && std::getline(y, v, ',');)
      worst = std::max(worst, std::abs(std::stod(u) - std::stod(v)));
    ++rows;
  }
  EXPECT_FALSE(std::getline(runs, expected)) << "fewer rows than the run's file";
  EXPECT_LT(worst, 1e-5);
  EXPECT_GE(rows, 189);
  EXPECT_LE(rows, 190);
}

TEST_F(ReproduceCli, PredictWithAnotherModelsWeightsNamesTheCheckpoint) {
  ASSERT_TRUE(result_.code == 0 || result_.code == 4) << result_.text;
  const auto predicted = run_in(
      kSource, kGalien + " predict configs/repro/wdbc-street1993.yaml" + wdbc_overrides() +
                   " model.hidden=[8] --data " + kShards + "/cv-r1-f1 --checkpoint " + kTmp +
                   "/out/r1-f1/checkpoints/final.pt --out " + kTmp + "/never.csv");
  EXPECT_EQ(predicted.code, 2) << predicted.text;
  EXPECT_CONTAINS(predicted.text, "r1-f1/checkpoints/final.pt");
  EXPECT_FALSE(fs::exists(kTmp + "/never.csv"));
}

TEST(ReproduceCliNotRunHere, DataNotAvailableHereSaysSoAndExitsTwo) {
  const auto result = run_in(kSource, kGalien +
                                          " reproduce configs/repro/medmnist/pathmnist-resnet18-28.yaml");
  EXPECT_EQ(result.code, 2) << result.text;
  EXPECT_CONTAINS(result.text, "not run here");
}

}  // namespace
}  // namespace galien
