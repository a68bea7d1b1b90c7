// Segmentation end to end on 2 real MPI ranks: NIfTI cases (anisotropic voxels, stored in LPS,
// not RAS) through `galien shard`'s pipeline, a 3-D U-Net trained on patches, sliding-window
// evaluation. Checks that it learns (test Dice >= 0.8 on ellipsoids in noise), that evaluation
// counts each case once whatever the rank count (1 and 2 ranks give the same metrics), that a
// stop signal and resume end bit for bit like an uninterrupted run, and the refusals.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/config/config.h"
#include "core/error.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"
#include "trainers/distributed/comm.h"
#include "trainers/loop/predict.h"
#include "trainers/distributed/stop_signal.h"
#include "trainers/loop/trainer.h"
#include "tests/mpi/mpi_test_support.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

const std::string kDir = std::string(GALIEN_TEST_TMP) + "/mpi-segmentation";

// The config a user would write (docs/imaging.md, "Segmentation"), with test paths.
void write_config() {
  std::ofstream(kDir + "/seg.yaml")
      << "data:\n"
      << "  task: segmentation\n"
      << "  classes: [background, ellipsoid]\n"
      << "  shard_dir: " << kDir << "/shards\n"
      << "  shards: 2\n"
      << "  split: {val: 0.2, test: 0.2}\n"
      << "  images:\n"
      << "    format: nifti\n"
      << "    path: " << kDir << "/cases\n"
      << "    dtype: float16\n"
      << "privacy:\n"
      << "  key_file: " << kDir << "/test.key\n"
      << "model:\n"
      << "  name: unet3d\n"
      << "  base_channels: 8\n"
      << "  levels: 3\n"
      << "optim:\n"
      << "  name: adam\n"
      << "  learning_rate: 0.01\n"
      << "trainer:\n"
      << "  epochs: 20\n"
      << "  batch_size: 4\n"
      << "  patch_size: [8, 16, 16]\n"
      << "  seed: 3\n"
      << "augment:\n"
      << "  hflip: true\n"
      << "  intensity: 0.1\n";
}

Config seg_config(const std::string& run, std::vector<std::string> extra = {}) {
  std::vector<std::string> overrides{"trainer.run_dir=" + kDir + "/runs/" + run};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return load_config(kDir + "/seg.yaml", overrides);
}

class SegmentationMpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = test::setup_on_root(Comm::world(), kDir, [] {
      const std::string fixture = "/usr/bin/python3 " + std::string(GALIEN_SOURCE_DIR) +
                                  "/tests/fixtures/make_imaging_fixtures.py nifti-seg " + kDir +
                                  "/cases --cases=24";
      GALIEN_CHECK(std::system(fixture.c_str()) == 0, fixture);
      generate_key_file(kDir + "/test.key");
      write_config();
      run_shard(seg_config("shard"), true);
    });
  }
  void SetUp() override { ASSERT_EQ(setup_error_, "") << "sharding the NIfTI cases failed"; }
  static std::string setup_error_;
};
std::string SegmentationMpi::setup_error_;

TEST_F(SegmentationMpi, TwoRanksLearnTheShapesAndOneRankEvaluatesTheSameCases) {
  const Comm comm = Comm::world();
  ASSERT_EQ(comm.size(), 2);
  const TrainResult result = train(seg_config("learn"), comm);
  ASSERT_EQ(result.status, "completed");
  std::vector<float> root = result.parameters;
  comm.broadcast(root.data(), root.size() * sizeof(float), 0);
  EXPECT_EQ(test::max_abs_diff(result.parameters, root), 0.0) << "rank " << comm.rank();
  const std::string checkpoint = kDir + "/runs/learn/checkpoints/final.pt";
  const Evaluation two = predict_split(seg_config("learn"), checkpoint, kDir + "/shards", "test", comm).evaluation;
  if (comm.is_root()) {
    const auto& metrics = result.summary["metrics"];
    EXPECT_GE(metrics["test/dice"].get<double>(), 0.8) << metrics.dump();
    EXPECT_GE(metrics["val/dice"].get<double>(), 0.8) << metrics.dump();
    EXPECT_TRUE(metrics.contains("test/dice/ellipsoid")) << metrics.dump();
    EXPECT_TRUE(metrics.contains("test/hd95/ellipsoid")) << metrics.dump();
    EXPECT_EQ(result.summary["loss"], "dice_ce");
    const Evaluation one =
        predict_split(seg_config("learn"), checkpoint, kDir + "/shards", "test", Comm::self()).evaluation;
    EXPECT_EQ(one.metrics.at("cases"), two.metrics.at("cases"));
    EXPECT_EQ(one.metrics.at("cases"), 5);  // 20% of 24 cases, rounded
    for (const auto& [name, value] : one.metrics)
      EXPECT_NEAR(value, two.metrics.at(name), 1e-6) << name;
    EXPECT_NEAR(one.metrics.at("dice"), metrics["test/dice"].get<double>(), 1e-6);
  }
  comm.barrier();
}

// galien predict -o DIR: one mask per case, on the source file's grid (LPS, 1 x 1 x 2.5 mm),
// written by the rank that owns the case; nibabel reads it with the source affine and shape,
// and it matches the source labels.
TEST_F(SegmentationMpi, PredictWritesMasksOnTheSourceGridThatMatchTheLabels) {
  const Comm comm = Comm::world();
  const std::string run = kDir + "/runs/predict";
  const TrainResult trained = train(seg_config("predict"), comm);
  ASSERT_EQ(trained.status, "completed");
  const std::string out = kDir + "/masks";
  if (comm.is_root()) std::filesystem::remove_all(out);
  comm.barrier();
  const PredictResult result = predict_split(seg_config("predict"), run + "/checkpoints/final.pt",
                                             kDir + "/shards", "test", comm, {out, true});
  std::int64_t written = result.volumes;
  comm.allreduce_sum(&written, 1);
  EXPECT_TRUE(result.writes_volumes);
  EXPECT_EQ(written, 5);
  if (comm.is_root()) {
    // Which source case each pseudonym is (the test holds the key, as the data controller).
    const Pseudonymizer pseudonymize(load_key_file(kDir + "/test.key"));
    std::ofstream pairs(kDir + "/pairs.txt");
    int found = 0;
    for (int c = 0; c < 24; ++c) {
      char name[32];
      std::snprintf(name, sizeof name, "case_%03d", c);
      const std::string mask = out + "/" + pseudonymize(name) + ".nii.gz";
      if (!std::filesystem::exists(mask)) continue;
      ++found;
      pairs << mask << " " << kDir << "/cases/labelsTr/" << name << ".nii.gz\n";
      EXPECT_TRUE(std::filesystem::exists(out + "/" + pseudonymize(name) + "_probabilities.nii.gz"));
    }
    pairs.close();
    EXPECT_EQ(found, 5);
    const std::string check =
        "/usr/bin/python3 -c \"import sys, nibabel as nib, numpy as np\n"
        "for line in open(sys.argv[1]):\n"
        "  p, s = (nib.load(f) for f in line.split())\n"
        "  assert p.shape == s.shape, (p.shape, s.shape)\n"
        "  assert np.allclose(p.affine, s.affine, atol=1e-5), (p.affine, s.affine)\n"
        "  a, b = np.asarray(p.dataobj) > 0, np.asarray(s.dataobj) > 0\n"
        "  dice = 2 * (a & b).sum() / (a.sum() + b.sum())\n"
        "  assert dice >= 0.8, dice\n"
        "print('ok')\" " + kDir + "/pairs.txt";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
  }
  comm.barrier();
}

TEST_F(SegmentationMpi, StopSignalAndResumeEndBitForBitLikeAnUninterruptedRun) {
  const Comm comm = Comm::world();
  const std::vector<std::string> common{"trainer.epochs=2", "trainer.checkpoint_every_steps=3"};
  const TrainResult reference = train(seg_config("uninterrupted", common), comm);
  if (comm.rank() == 1) std::raise(SIGUSR1);
  const TrainResult stopped = train(seg_config("interrupted", common), comm);
  clear_stop_request();
  EXPECT_EQ(stopped.status, "stopped");
  const TrainResult resumed = train(seg_config("interrupted", common), comm);
  EXPECT_EQ(resumed.status, "completed");
  EXPECT_EQ(test::max_abs_diff(resumed.parameters, reference.parameters), 0.0)
      << "resume must be bitwise exact on CPU";
}

TEST_F(SegmentationMpi, RefusesPatchesLargerThanTheCasesWithoutPaddingAndWrongPatchRanks) {
  const Comm comm = Comm::world();
  const std::string no_padding = test::user_error_of([&] {
    train(seg_config("no-padding", {"trainer.patch_size=[16, 32, 32]", "trainer.patch_padding=false"}),
          comm);
  });
  EXPECT_NE(no_padding.find("trainer.patch_padding is false"), std::string::npos) << no_padding;
  const std::string planar = test::user_error_of([&] {
    train(seg_config("planar", {"trainer.patch_size=[16, 16]"}), comm);
  });
  EXPECT_NE(planar.find("unet3d"), std::string::npos) << planar;
  const std::string loss = test::user_error_of([&] {
    train(seg_config("loss", {"trainer.loss=cox"}), comm);
  });
  EXPECT_NE(loss.find("dice_ce"), std::string::npos) << loss;
}

}  // namespace
}  // namespace galien
