// Harrell's C (trainers/observability/metrics.h): hand examples for each rule, and the O(n log n) count
// against a plain loop over all pairs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "trainers/observability/metrics.h"

namespace galien {
namespace {

// The definition, pair by pair: comparable when t_j > t_i and e_i = 1; concordant when
// risk_i > risk_j; tied risks count 1/2.
double brute_force_c(const std::vector<double>& risk, const std::vector<double>& time,
                     const std::vector<std::int64_t>& event) {
  double score = 0, pairs = 0;
  for (std::size_t i = 0; i < risk.size(); ++i) {
    if (event[i] == 0) continue;
    for (std::size_t j = 0; j < risk.size(); ++j) {
      if (!(time[j] > time[i])) continue;
      pairs += 1;
      score += risk[i] > risk[j] ? 1.0 : (risk[i] == risk[j] ? 0.5 : 0.0);
    }
  }
  return score / pairs;
}

TEST(Concordance, PerfectReversedAndTiedRisks) {
  const std::vector<double> time{1, 2, 3, 4};
  const std::vector<std::int64_t> all_events{1, 1, 1, 1};
  EXPECT_DOUBLE_EQ(concordance_index({4, 3, 2, 1}, time, all_events), 1.0);  // high risk dies first
  EXPECT_DOUBLE_EQ(concordance_index({1, 2, 3, 4}, time, all_events), 0.0);
  EXPECT_DOUBLE_EQ(concordance_index({7, 7, 7, 7}, time, all_events), 0.5);
  // 6 pairs; risks {2, 2, 1, 0}: pair (0, 1) tied, the other 5 concordant -> 5.5 / 6.
  EXPECT_DOUBLE_EQ(concordance_index({2, 2, 1, 0}, time, all_events), 5.5 / 6);
}

TEST(Concordance, CensoredAndTiedTimesAreNotComparable) {
  // Patient 0 censored at t=1: no pair starts from it. Pairs (1, 2) and (1, 3): concordant
  // and discordant -> 1/2. Pair (2, 3) has equal times: not comparable.
  EXPECT_DOUBLE_EQ(concordance_index({9, 5, 6, 4}, {1, 2, 3, 3}, {0, 1, 1, 1}), 0.5);
  // Two events at the same time and nothing later: no comparable pair.
  EXPECT_TRUE(std::isnan(concordance_index({1, 2}, {5, 5}, {1, 1})));
  EXPECT_TRUE(std::isnan(concordance_index({1, 2, 3}, {1, 2, 3}, {0, 0, 0})));
  EXPECT_TRUE(std::isnan(concordance_index({1, std::nan(""), 3}, {1, 2, 3}, {1, 1, 1})));
}

TEST(Concordance, MatchesAllPairsOnRandomDataWithTies) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> small(0, 9), coin(0, 1);
  std::vector<double> risk, time;
  std::vector<std::int64_t> event;
  for (int i = 0; i < 400; ++i) {
    risk.push_back(small(rng));        // many tied risks
    time.push_back(small(rng) * 3.0);  // many tied times
    event.push_back(coin(rng));
  }
  EXPECT_NEAR(concordance_index(risk, time, event), brute_force_c(risk, time, event), 1e-12);
}

}  // namespace
}  // namespace galien
