// Data parallelism's defining properties, checked on 2 real MPI ranks with real WDBC shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>

#include "core/config/config.h"
#include "core/error.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"
#include "trainers/loop/checkpoint.h"
#include "trainers/distributed/comm.h"
#include "trainers/distributed/stop_signal.h"
#include "trainers/loop/trainer.h"
#include "tests/mpi/mpi_test_support.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

const std::string kDir = std::string(GALIEN_TEST_TMP) + "/mpi-training";

Config wdbc_config(const std::string& run_name, std::vector<std::string> extra = {}) {
  std::vector<std::string> overrides{"data.shard_dir=" + kDir + "/shards",
                                     "privacy.key_file=" + kDir + "/test.key",
                                     "trainer.run_dir=" + kDir + "/runs/" + run_name,
                                     "trainer.epochs=3",
                                     "trainer.batch_size=32",
                                     "optim.name=sgd",
                                     "optim.learning_rate=0.05",
                                     "optim.momentum=0.9"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return load_config(std::string(GALIEN_SOURCE_DIR) + "/configs/wdbc-mlp.yaml", overrides);
}

// Shards WDBC once (rank 0) for every test of this binary. Rank 0 shares whether that worked:
// a rank that skipped the barrier after an exception would leave the other one waiting forever.
class TrainingMpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_error_ = test::setup_on_root(Comm::world(), kDir, [] {
      generate_key_file(kDir + "/test.key");
      run_shard(wdbc_config("shard"), true);
    });
  }
  void SetUp() override { ASSERT_EQ(setup_error_, "") << "sharding WDBC failed"; }
  static std::string setup_error_;
};
std::string TrainingMpi::setup_error_;

using test::max_abs_diff;

TEST_F(TrainingMpi, ParametersAreIdenticalOnEveryRankAfterTraining) {
  const Comm comm = Comm::world();
  ASSERT_EQ(comm.size(), 2) << "run with mpirun -np 2";
  TrainResult result = train(wdbc_config("identical"), comm);
  std::vector<float> root = result.parameters;
  comm.broadcast(root.data(), root.size() * sizeof(float), 0);
  EXPECT_EQ(max_abs_diff(result.parameters, root), 0.0) << "rank " << comm.rank();
}

TEST_F(TrainingMpi, OneRankAndTwoRanksEndWithTheSameParameters) {
  const Comm comm = Comm::world();
  TrainResult two = train(wdbc_config("two-ranks"), comm);
  if (comm.is_root()) {
    TrainResult one = train(wdbc_config("one-rank"), Comm::self());
    EXPECT_EQ(one.summary.at("world_size"), 1);
    EXPECT_EQ(two.summary.at("world_size"), 2);
    EXPECT_EQ(one.summary.at("steps"), two.summary.at("steps"));
    EXPECT_LT(max_abs_diff(one.parameters, two.parameters), 1e-5);
    // Metrics are computed over the whole split, so they agree too.
    EXPECT_NEAR(one.summary["metrics"]["test/accuracy"].get<double>(),
                two.summary["metrics"]["test/accuracy"].get<double>(), 1e-9);
  }
  comm.barrier();
}

TEST_F(TrainingMpi, RanksWithDifferentConfigsFailAtStartupNamingTheRank) {
  const Comm comm = Comm::world();
  Config config = comm.rank() == 1 ? wdbc_config("mismatch", {"trainer.epochs=4"})
                                   : wdbc_config("mismatch");
  try {
    train(config, comm);
    FAIL() << "no error on rank " << comm.rank();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("rank(s) 1 differ from rank 0"), std::string::npos)
        << e.what();
  }
}

TEST_F(TrainingMpi, BucketedOverlappedSyncGivesTheSameParametersAsOneFlatAllreduce) {
  const Comm comm = Comm::world();
  // 0.001 MB buckets: the MLP's ~1.5k parameters are spread over several buckets.
  TrainResult bucketed = train(
      wdbc_config("bucketed", {"trainer.gradient_sync=bucketed", "trainer.bucket_mb=0.001"}), comm);
  TrainResult flat = train(wdbc_config("flat", {"trainer.gradient_sync=flat"}), comm);
  EXPECT_EQ(max_abs_diff(bucketed.parameters, flat.parameters), 0.0);
}

TEST_F(TrainingMpi, GradientAccumulationOfTwoHalfBatchesEqualsOneFullBatch) {
  const Comm comm = Comm::world();
  // The epoch's sample stream does not depend on the batch size, so two micro-batches of 16
  // hold exactly the samples of one batch of 32.
  TrainResult full = train(wdbc_config("full-batch", {"trainer.batch_size=32"}), comm);
  TrainResult accumulated = train(
      wdbc_config("accumulated", {"trainer.batch_size=16", "trainer.gradient_accumulation=2"}), comm);
  if (comm.is_root())  // summary.json is rank 0's
    EXPECT_EQ(full.summary.value("steps", -1), accumulated.summary.value("steps", -1));
  EXPECT_LT(max_abs_diff(full.parameters, accumulated.parameters), 1e-5);
}

// Stops every rank at the first step boundary (rank 1 alone "receives" SIGUSR1 before the
// first step; rank 0 writes the checkpoint), then runs the same command again, as a requeued
// job does: trainer.resume=auto picks up last.pt. `resume_extra` is added to the second run.
TrainResult stop_then_resume(const Comm& comm, const std::string& name,
                             const std::vector<std::string>& common,
                             std::vector<std::string> resume_extra = {}) {
  if (comm.rank() == 1) std::raise(SIGUSR1);
  TrainResult stopped = train(wdbc_config(name, common), comm);
  clear_stop_request();
  EXPECT_EQ(stopped.status, "stopped");
  if (comm.is_root()) {
    EXPECT_EQ(stopped.summary["status"], "stopped");
    EXPECT_EQ(stopped.summary["steps"], 1);
    EXPECT_TRUE(std::filesystem::exists(kDir + "/runs/" + name + "/checkpoints/last.pt"));
  }
  resume_extra.insert(resume_extra.begin(), common.begin(), common.end());
  TrainResult resumed = train(wdbc_config(name, resume_extra), comm);
  EXPECT_EQ(resumed.status, "completed");
  return resumed;
}

const std::vector<std::string> kResumeCommon{"optim.name=adam", "optim.learning_rate=0.003",
                                             "model.dropout=0.2",
                                             "trainer.checkpoint_every_steps=7"};

// optim.fused (the default) and LibTorch's optimiser (optim.fused=false) alike.
TEST_F(TrainingMpi, StopSignalOnOneRankStopsAllWithACheckpointAndResumeEndsLikeAnUninterruptedRun) {
  const Comm comm = Comm::world();
  for (const std::string fused : {"true", "false"}) {
    SCOPED_TRACE("optim.fused=" + fused);
    std::vector<std::string> common = kResumeCommon;
    common.push_back("optim.fused=" + fused);
    TrainResult reference = train(wdbc_config("uninterrupted-" + fused, common), comm);
    TrainResult resumed = stop_then_resume(comm, "interrupted-" + fused, common);
    EXPECT_EQ(max_abs_diff(resumed.parameters, reference.parameters), 0.0)
        << "resume must be bitwise exact on CPU";
    if (comm.is_root())
      EXPECT_EQ(resumed.summary["parameters_sha256"], reference.summary["parameters_sha256"]);
  }
}

// The checkpoint's optimiser state has LibTorch's layout in both modes, so a run may switch
// optim.fused when it resumes (the config hash changes: trainer.resume_ignore_mismatch). It then
// ends as the uninterrupted run of the first mode does, up to the last bits the two
// implementations round differently.
TEST_F(TrainingMpi, ACheckpointOfEitherOptimiserResumesInTheOther) {
  const Comm comm = Comm::world();
  for (const bool from_libtorch : {true, false}) {
    SCOPED_TRACE(from_libtorch ? "fused=false -> fused=true" : "fused=true -> fused=false");
    std::vector<std::string> writer = kResumeCommon;
    writer.push_back(from_libtorch ? "optim.fused=false" : "optim.fused=true");
    const std::string name = from_libtorch ? "libtorch-to-fused" : "fused-to-libtorch";
    TrainResult reference = train(wdbc_config(name + "-reference", writer), comm);
    TrainResult resumed = stop_then_resume(
        comm, name, writer,
        {from_libtorch ? "optim.fused=true" : "optim.fused=false",
         "trainer.resume_ignore_mismatch=true"});
    EXPECT_LT(max_abs_diff(resumed.parameters, reference.parameters), 1e-5);
  }
}

// A run directory moved (off a full disk, to another file system) resumes where it stopped:
// trainer.run_dir is a location, not part of what resume checks (core/config/identity.h). The
// result is bit for bit the uninterrupted run's.
TEST_F(TrainingMpi, AMovedRunDirectoryResumesWithoutOverride) {
  const Comm comm = Comm::world();
  TrainResult reference = train(wdbc_config("unmoved-reference", kResumeCommon), comm);
  if (comm.rank() == 1) std::raise(SIGUSR1);
  TrainResult stopped = train(wdbc_config("before-move", kResumeCommon), comm);
  clear_stop_request();
  ASSERT_EQ(stopped.status, "stopped");
  if (comm.is_root()) {
    std::filesystem::remove_all(kDir + "/runs/after-move");
    std::filesystem::rename(kDir + "/runs/before-move", kDir + "/runs/after-move");
  }
  comm.barrier();
  TrainResult resumed = train(wdbc_config("after-move", kResumeCommon), comm);
  EXPECT_EQ(resumed.status, "completed");
  EXPECT_EQ(max_abs_diff(resumed.parameters, reference.parameters), 0.0)
      << "the moved run must resume, not start again";
  // What was trained still counts: another learning rate is refused in the moved directory too.
  if (comm.rank() == 1) std::raise(SIGUSR1);
  train(wdbc_config("moved-other", kResumeCommon), comm);
  clear_stop_request();
  std::vector<std::string> other = kResumeCommon;
  other.push_back("optim.learning_rate=0.01");
  EXPECT_THROW(train(wdbc_config("moved-other", other), comm), UserError);
}

TEST_F(TrainingMpi, ResumeRefusesACheckpointFromAnotherConfig) {
  const Comm comm = Comm::world();
  if (comm.rank() == 0) std::raise(SIGUSR1);
  train(wdbc_config("other-config"), comm);
  clear_stop_request();
  EXPECT_THROW(train(wdbc_config("other-config", {"optim.learning_rate=0.01"}), comm), UserError);
  TrainResult forced = train(
      wdbc_config("other-config", {"optim.learning_rate=0.01", "trainer.resume_ignore_mismatch=true"}),
      comm);
  EXPECT_EQ(forced.status, "completed");
}

}  // namespace
}  // namespace galien
