// Data parallelism's defining properties, checked on 2 real MPI ranks with real WDBC shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/config/config.h"
#include "core/error.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"
#include "trainers/comm.h"
#include "trainers/trainer.h"

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
    const Comm comm = Comm::world();
    if (comm.is_root()) {
      try {
        std::filesystem::remove_all(kDir);
        std::filesystem::create_directories(kDir);
        generate_key_file(kDir + "/test.key");
        run_shard(wdbc_config("shard"), true);
      } catch (const std::exception& e) {
        setup_error_ = e.what();
      }
    }
    comm.broadcast(setup_error_, 0);
  }
  void SetUp() override { ASSERT_EQ(setup_error_, "") << "sharding WDBC failed"; }
  static std::string setup_error_;
};
std::string TrainingMpi::setup_error_;

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

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

}  // namespace
}  // namespace galien
