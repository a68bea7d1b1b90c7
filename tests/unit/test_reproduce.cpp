// galien reproduce's arithmetic (mean, sd, 95% CI, verdict) and the shipped repro configs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/config/config.h"
#include "launcher/reproduce/statistics.h"
#include "launcher/reproduce/verdict.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

TEST(ReproduceStatistics, MeanSampleSdAndStudentInterval) {
  // 0.95, 0.97, 0.99: mean 0.97, sd 0.02, t(0.975, 2) = 4.303 -> half-width 0.04969.
  const FigureSummary s = summarise({0.95, 0.97, 0.99});
  EXPECT_EQ(s.n, 3);
  EXPECT_NEAR(s.mean, 0.97, 1e-12);
  EXPECT_NEAR(s.sd, 0.02, 1e-12);
  EXPECT_NEAR(s.ci_low, 0.97 - 4.303 * 0.02 / std::sqrt(3.0), 1e-9);
  EXPECT_NEAR(s.ci_high, 0.97 + 4.303 * 0.02 / std::sqrt(3.0), 1e-9);
}

TEST(ReproduceStatistics, OneRunHasNoSpread) {
  const FigureSummary s = summarise({0.654});
  EXPECT_EQ(s.sd, 0.0);
  EXPECT_EQ(s.ci_low, 0.654);
  EXPECT_EQ(s.ci_high, 0.654);
}

TEST(ReproduceStatistics, TQuantileTableAndLargeSampleLimit) {
  EXPECT_NEAR(t_quantile_975(1), 12.706, 1e-9);
  EXPECT_NEAR(t_quantile_975(3), 3.182, 1e-9);
  EXPECT_NEAR(t_quantile_975(9), 2.262, 1e-9);
  EXPECT_NEAR(t_quantile_975(60), 2.000, 0.002);
  EXPECT_NEAR(t_quantile_975(100000), 1.960, 0.001);
}

TEST(ReproduceVerdict, WithinToleranceOnBothSides) {
  PublishedConfig p;
  p.metric = "test/c_index";
  p.value = 0.668;
  p.tolerance = 0.015;
  EXPECT_TRUE(judge(p, summarise({0.654})).pass);
  EXPECT_FALSE(judge(p, summarise({0.652})).pass);
  EXPECT_FALSE(judge(p, summarise({0.684})).pass);
  const Verdict v = judge(p, summarise({0.660}));
  EXPECT_NEAR(v.difference, -0.008, 1e-12);
  const std::string table = verdict_table(p, summarise({0.660}), v);
  EXPECT_CONTAINS(table, "| test/c_index | 0.6680 | 0.6600 | -0.0080 |");
  EXPECT_CONTAINS(table, "PASS");
}

TEST(ReproduceVerdict, AtLeastPassesAboveTheFloorOnly) {
  PublishedConfig p;
  p.metric = "test/accuracy";
  p.value = 0.916;
  p.tolerance = 0.006;
  p.comparison = "at_least";
  EXPECT_TRUE(judge(p, summarise({0.95})).pass);
  EXPECT_TRUE(judge(p, summarise({0.9101})).pass);
  EXPECT_FALSE(judge(p, summarise({0.909})).pass);
  EXPECT_FALSE(judge(p, summarise({std::nan("")})).pass);
}

// ctest's check of the reproductions: every shipped config loads, names its figure and cites it.
TEST(ReproduceConfigs, EveryReproConfigLoadsAndCitesItsFigure) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(GALIEN_SOURCE_DIR "/configs/repro")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || name.front() == '_') continue;  // _*: shared bases
    SCOPED_TRACE(entry.path().string());
    const Config config = load_config(entry.path().string());
    EXPECT_FALSE(config.published.metric.empty());
    EXPECT_GT(config.published.value, 0.0);
    EXPECT_FALSE(config.published.citation.empty());
    EXPECT_FALSE(config.published.where_read.empty());
    EXPECT_FALSE(config.data.shard_dir.empty());
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

}  // namespace
}  // namespace galien
