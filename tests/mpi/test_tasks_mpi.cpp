// Survival, regression and image training on 2 real MPI ranks: what the trainer learns follows
// the shards' task, and data parallelism changes nothing about the result (1 rank == 2 ranks),
// including for the Cox likelihood, whose risk sets span the whole global batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"
#include "trainers/distributed/comm.h"
#include "trainers/loop/trainer.h"
#include "tests/mpi/mpi_test_support.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

const std::string kDir = std::string(GALIEN_TEST_TMP) + "/mpi-tasks";
const std::string kSource = GALIEN_SOURCE_DIR;

std::vector<std::string> common(const std::string& data, const std::string& run) {
  return {"data.shard_dir=" + kDir + "/shards-" + data, "privacy.key_file=" + kDir + "/test.key",
          "trainer.run_dir=" + kDir + "/runs/" + run, "trainer.threads=1"};
}

Config cox_config(const std::string& run, std::vector<std::string> extra = {}) {
  auto o = common("cox", run);
  // Global batch 200 of 1546: the Cox risk sets are the global batch's, split over the ranks.
  // No dropout: its masks are drawn per rank, the one thing that differs between 1 and 2 ranks.
  for (const char* s : {"trainer.epochs=2", "trainer.batch_size=200", "optim.learning_rate=0.01",
                        "model.dropout=0"})
    o.push_back(s);
  o.insert(o.end(), extra.begin(), extra.end());
  return load_config(kSource + "/configs/repro/rotterdam-gbsg-deepsurv.yaml", o);
}

Config ols_config(const std::string& run) {
  auto o = common("ols", run);
  for (const char* s : {"trainer.epochs=300", "trainer.batch_size=442", "optim.learning_rate=0.05"})
    o.push_back(s);
  return load_config(kSource + "/configs/repro/diabetes-ols.yaml", o);
}

// 28x28 images of 3 classes (tests/fixtures/make_imaging_fixtures.py npz-learnable).
Config image_config(const std::string& model, const std::string& run,
                    std::vector<std::string> extra = {}) {
  const std::string yaml = kDir + "/images.yaml";
  auto o = common("images", run);
  o.push_back("model.name=" + model);
  o.insert(o.end(), extra.begin(), extra.end());
  return load_config(yaml, o);
}

void write_image_config() {
  write_file_atomic(kDir + "/images.yaml",
                    "name: tiny-images\n"
                    "data:\n"
                    "  shards: 2\n"
                    "  images: {format: medmnist, path: " + kDir + "/learnable.npz}\n"
                    "model: {name: tf_cnn, depth: 18, small_input: true, base_channels: 8}\n"
                    "optim: {name: adam, learning_rate: 0.003}\n"
                    "trainer: {epochs: 3, batch_size: 16, seed: 3, monitor: val/loss}\n");
}

class TasksMpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = test::setup_on_root(Comm::world(), kDir, [] {
      generate_key_file(kDir + "/test.key");
      run_shard(cox_config("shard"), true);
      run_shard(ols_config("shard"), true);
      const std::string fixture = "/usr/bin/python3 " + kSource +
                                  "/tests/fixtures/make_imaging_fixtures.py npz-learnable " +
                                  kDir + "/learnable.npz";
      if (std::system(fixture.c_str()) != 0) throw std::runtime_error("fixture failed: " + fixture);
      write_image_config();
      run_shard(image_config("tf_cnn", "shard"), true);
    });
  }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }
  static std::string setup_error_;
};
std::string TasksMpi::setup_error_;

using test::max_abs_diff;

double metric(const TrainResult& r, const std::string& name) {
  return r.summary.at("metrics").at(name).get<double>();
}

// Trains on 2 ranks and, on rank 0, on 1 rank; checks the parameters agree.
void expect_one_rank_equals_two(const Config& two_ranks, const Config& one_rank, double tolerance,
                                TrainResult* two_out = nullptr) {
  const Comm comm = Comm::world();
  ASSERT_EQ(comm.size(), 2);
  TrainResult two = train(two_ranks, comm);
  if (comm.is_root()) {
    TrainResult one = train(one_rank, Comm::self());
    EXPECT_EQ(one.summary.at("steps"), two.summary.at("steps"));
    EXPECT_LT(max_abs_diff(one.parameters, two.parameters), tolerance);
    if (two_out) *two_out = two;
  }
  comm.barrier();
}

TEST_F(TasksMpi, CoxRiskSetsSpanTheGlobalBatchSoOneRankEqualsTwo) {
  TrainResult two;
  expect_one_rank_equals_two(cox_config("cox-2"), cox_config("cox-1"), 1e-5, &two);
  if (Comm::world().is_root()) {
    EXPECT_EQ(two.summary.at("task"), "survival");
    const double c = metric(two, "test/c_index");
    EXPECT_GT(c, 0.6) << "DeepSurv after 2 epochs on Rotterdam, C on GBSG";
    EXPECT_LT(c, 0.75);
    EXPECT_TRUE(std::filesystem::exists(kDir + "/runs/cox-2/predictions-test.csv"));
  }
}

TEST_F(TasksMpi, LinearRegressionReachesTheOlsFitInSample) {
  TrainResult two;
  expect_one_rank_equals_two(ols_config("ols-2"), ols_config("ols-1"), 1e-4, &two);
  if (Comm::world().is_root()) {
    EXPECT_EQ(two.summary.at("task"), "regression");
    // R's lm on the same file: R^2 = 0.51775 (the published OLS figure is 0.5177).
    EXPECT_NEAR(metric(two, "train/r2"), 0.5177, 0.01);
    EXPECT_TRUE(std::filesystem::exists(kDir + "/runs/ols-2/predictions-train.csv"));
  }
}

TEST_F(TasksMpi, ImageClassifierLearnsAndOneRankEqualsTwo) {
  TrainResult two;
  expect_one_rank_equals_two(image_config("tf_cnn", "cnn-2"), image_config("tf_cnn", "cnn-1"), 1e-4,
                             &two);
  if (Comm::world().is_root()) EXPECT_GT(metric(two, "test/accuracy"), 0.8);
}

TEST_F(TasksMpi, AugmentedImagesDependOnTheSampleNotTheRank) {
  const std::vector<std::string> augment{"augment.hflip=true", "augment.vflip=true",
                                         "augment.rotate90=true", "augment.intensity=0.2",
                                         "augment.crop_padding=3", "trainer.epochs=1"};
  expect_one_rank_equals_two(image_config("tf_cnn", "aug-2", augment),
                             image_config("tf_cnn", "aug-1", augment), 1e-4);
}

TEST_F(TasksMpi, BatchNormBuffersAreTheSameOnEveryRank) {
  const Comm comm = Comm::world();
  // resnet2d has BatchNorm: each rank's forward updates the running statistics from its own
  // half of the batch, so they differ unless the trainer broadcasts them (before every step and
  // before evaluating).
  TrainResult r = train(image_config("resnet2d", "bn", {"trainer.epochs=1"}), comm);
  ASSERT_FALSE(r.buffers.empty());
  std::vector<float> root = r.buffers;
  comm.broadcast(root.data(), root.size() * sizeof(float), 0);
  EXPECT_EQ(max_abs_diff(r.buffers, root), 0.0) << "rank " << comm.rank();
  root = r.parameters;
  comm.broadcast(root.data(), root.size() * sizeof(float), 0);
  EXPECT_EQ(max_abs_diff(r.parameters, root), 0.0) << "rank " << comm.rank();
}

TEST_F(TasksMpi, Bf16AutocastTrainsAndChangesTheArithmetic) {
  const Comm comm = Comm::world();
  TrainResult fp32 = train(image_config("tf_cnn", "fp32", {"trainer.epochs=1"}), comm);
  TrainResult bf16 =
      train(image_config("tf_cnn", "bf16", {"trainer.epochs=1", "trainer.precision=bf16"}), comm);
  if (comm.is_root()) {
    const double diff = max_abs_diff(fp32.parameters, bf16.parameters);
    EXPECT_GT(diff, 0.0) << "bf16 autocast had no effect";
    EXPECT_LT(diff, 0.1) << "bf16 training diverged from fp32";
    EXPECT_TRUE(std::isfinite(metric(bf16, "test/loss")));
  }
}

TEST_F(TasksMpi, CoxModelOnAClassificationDatasetIsAUserError) {
  const Comm comm = Comm::world();
  try {
    train(image_config("deepsurv", "wrong-task"), comm);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("data.task: survival"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace galien
