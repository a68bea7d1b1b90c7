#include <gtest/gtest.h>

#include <cmath>

#include "trainers/metrics.h"

namespace galien {

TEST(Metrics, AucMatchesKnownValue) {
  // scikit-learn's roc_auc_score example: 0.75.
  EXPECT_DOUBLE_EQ(auc_roc(std::vector<double>{0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
}

TEST(Metrics, AucCountsTiesAsHalf) {
  EXPECT_DOUBLE_EQ(auc_roc(std::vector<double>{0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(auc_roc(std::vector<double>{0.2, 0.5, 0.5, 0.9}, {0, 0, 1, 1}), 0.875);
}

TEST(Metrics, AucIsNanWithOneClass) {
  EXPECT_TRUE(std::isnan(auc_roc(std::vector<double>{0.1, 0.2}, {1, 1})));
}

TEST(Metrics, ProbabilityMatrixMetrics) {
  // 3 samples, 2 classes: P(class 1) = 0.9, 0.2, 0.6; labels 1, 0, 0.
  std::vector<float> p{0.1f, 0.9f, 0.8f, 0.2f, 0.4f, 0.6f};
  std::vector<std::int64_t> y{1, 0, 0};
  EXPECT_NEAR(accuracy(p, y, 2), 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(auc_roc(p, y, 2), 1.0);
  auto m = classification_metrics(p, y, {0.5f, 1.0f, 1.5f}, 2);
  EXPECT_DOUBLE_EQ(m.at("loss"), 1.0);
}

TEST(Metrics, MacroAucAveragesOneVsRest) {
  // Perfectly separated 3 classes -> 1.0.
  std::vector<float> p{0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f};
  EXPECT_DOUBLE_EQ(auc_roc(p, {0, 1, 2}, 3), 1.0);
}

}  // namespace galien
