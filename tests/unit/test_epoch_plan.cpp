#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "datasets/epoch_plan.h"

namespace galien {
namespace {

using Key = std::pair<int, std::int64_t>;

// Real samples of global batch b, over all ranks of a world of `world` ranks.
std::multiset<Key> global_batch(const std::vector<std::int64_t>& sizes, int world, std::int64_t b,
                                std::int64_t batch, std::uint64_t seed, std::uint64_t epoch) {
  std::multiset<Key> all;
  for (int r = 0; r < world; ++r) {
    EpochPlan plan(sizes, world, r, batch, seed, epoch);
    RankBatch part = plan.batch(b);
    for (std::int64_t i = 0; i < part.num_real; ++i)
      all.insert({part.samples[static_cast<std::size_t>(i)].shard,
                  part.samples[static_cast<std::size_t>(i)].index});
  }
  return all;
}

const std::vector<std::int64_t> kSizes{11, 10, 10, 9};  // unequal on purpose

TEST(EpochPlan, EveryRankRunsTheSameNumberOfEqualSizedBatches) {
  for (int world : {1, 2, 3, 4}) {
    std::vector<std::int64_t> counts;
    for (int r = 0; r < world; ++r) {
      EpochPlan plan(kSizes, world, r, 8, 7, 0);
      counts.push_back(plan.num_batches());
      EXPECT_EQ(plan.num_batches(), 5);  // ceil(40 / 8)
    }
    for (std::int64_t b = 0; b < 5; ++b) {
      std::set<std::size_t> shapes;
      for (int r = 0; r < world; ++r) shapes.insert(EpochPlan(kSizes, world, r, 8, 7, 0).batch(b).samples.size());
      EXPECT_EQ(shapes.size(), 1u) << "world " << world << " batch " << b;
    }
  }
}

TEST(EpochPlan, GlobalBatchesDoNotDependOnTheNumberOfRanks) {
  for (std::int64_t b = 0; b < 5; ++b) {
    auto reference = global_batch(kSizes, 1, b, 8, 7, 3);
    for (int world : {2, 4}) EXPECT_EQ(global_batch(kSizes, world, b, 8, 7, 3), reference);
  }
}

TEST(EpochPlan, EpochCoversEverySampleOnceAndRanksTouchOnlyTheirShards) {
  std::multiset<Key> seen;
  const int world = 2;
  for (int r = 0; r < world; ++r) {
    EpochPlan plan(kSizes, world, r, 8, 1, 0);
    for (std::int64_t b = 0; b < plan.num_batches(); ++b) {
      RankBatch part = plan.batch(b);
      for (const auto& s : part.samples) EXPECT_EQ(s.shard % world, r);
      for (std::int64_t i = 0; i < part.num_real; ++i)
        seen.insert({part.samples[static_cast<std::size_t>(i)].shard, part.samples[static_cast<std::size_t>(i)].index});
    }
  }
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::set<Key>(seen.begin(), seen.end()).size(), 40u);  // no duplicates
}

TEST(EpochPlan, OrderIsReproducibleAndChangesWithEpochAndSeed) {
  auto order = [](std::uint64_t seed, std::uint64_t epoch) {
    std::vector<Key> out;
    EpochPlan plan(kSizes, 1, 0, 40, seed, epoch);
    for (const auto& s : plan.batch(0).samples) out.push_back({s.shard, s.index});
    return out;
  };
  EXPECT_EQ(order(5, 2), order(5, 2));
  EXPECT_NE(order(5, 2), order(5, 3));
  EXPECT_NE(order(5, 2), order(6, 2));
}

TEST(EpochPlan, GlobalRealCountsWithoutBuildingTheBatch) {
  for (int world : {1, 2, 3})
    for (int r = 0; r < world; ++r) {
      EpochPlan plan(kSizes, world, r, 8, 7, 0);
      for (std::int64_t b = 0; b < plan.num_batches(); ++b)
        EXPECT_EQ(plan.global_real(b), plan.batch(b).global_real) << "batch " << b;
    }
  EXPECT_EQ(EpochPlan(kSizes, 1, 0, 16, 7, 0).global_real(2), 40 - 32);  // the short last batch
}

// Fewer shards than ranks: contiguous sample ranges, each sample owned once, the same global
// batches as one rank, equal batch shapes on every rank.
TEST(EpochPlan, FewerShardsThanRanksSplitTheSamplesIntoRanges) {
  const std::vector<std::int64_t> sizes{7, 6};  // 13 samples, 2 shards
  for (int world : {3, 4, 5}) {
    const SampleOwnership ownership(sizes, world);
    EXPECT_FALSE(ownership.by_shard());
    std::multiset<Key> owned;
    for (int r = 0; r < world; ++r) {
      const std::vector<SampleRef> mine = ownership.samples_of(r);
      EXPECT_EQ(static_cast<std::int64_t>(mine.size()), ownership.count_of(r));
      EXPECT_GE(mine.size(), 13u / world);
      EXPECT_LE(mine.size(), 13u / world + 1);
      for (const SampleRef& s : mine) {
        EXPECT_EQ(ownership.owner(s), r);
        owned.insert({s.shard, s.index});
      }
    }
    EXPECT_EQ(owned.size(), 13u);
    EXPECT_EQ(std::set<Key>(owned.begin(), owned.end()).size(), 13u);
    for (std::int64_t b = 0; b < 4; ++b) {
      EXPECT_EQ(global_batch(sizes, world, b, 4, 7, 1), global_batch(sizes, 1, b, 4, 7, 1))
          << "world " << world << " batch " << b;
      std::set<std::size_t> shapes;
      for (int r = 0; r < world; ++r) {
        const RankBatch part = EpochPlan(sizes, world, r, 4, 7, 1).batch(b);
        shapes.insert(part.samples.size());
        for (const SampleRef& s : part.samples) EXPECT_EQ(ownership.owner(s), r);
      }
      EXPECT_EQ(shapes.size(), 1u);
    }
  }
  // A rank reads part of a shard, or parts of several: with 3 ranks over [0, 7) and [7, 13),
  // rank 1 owns samples 4..7, i.e. the end of shard 0 and the start of shard 1.
  const SampleOwnership three(sizes, 3);
  EXPECT_EQ(three.shards_of(1), (std::vector<int>{0, 1}));
  EXPECT_EQ(three.shards_of(0), (std::vector<int>{0}));
}

TEST(EpochPlan, FewerSamplesThanRanksIsAClearError) {
  try {
    EpochPlan plan({1, 1}, 4, 0, 4, 0, 0);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("the split has 2 samples but the job has 4 ranks"),
              std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace galien

namespace galien {
namespace {

// A small evaluation split on many ranks (a val split of 1 case on 2 ranks): some ranks own
// nothing and evaluate nothing; training still needs every rank to own a sample.
TEST(SampleOwnershipIdle, EvaluationSplitsMayLeaveRanksIdleTrainingMayNot) {
  const SampleOwnership idle({1}, 2, /*allow_idle_ranks=*/true);
  EXPECT_EQ(idle.count_of(0) + idle.count_of(1), 1);
  EXPECT_EQ(idle.samples_of(0).size() + idle.samples_of(1).size(), 1u);
  EXPECT_THROW(SampleOwnership({1}, 2), UserError);
  EXPECT_THROW(EpochPlan({1}, 2, 0, 2, 0, 0), UserError);
}

}  // namespace
}  // namespace galien
