// The metric suite (trainers/observability/metrics.h, docs/observability.md) on small cases worked out by
// hand in the comments, plus scikit-learn's documented examples where one exists.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "trainers/observability/metrics.h"

namespace galien {
namespace {

// Binary case. P(class 1) = 0.9 0.2 0.6 0.4 0.7, labels 1 0 0 1 1 -> argmax predictions
// 1 0 1 0 1: TP 2 (samples 0, 4), FP 1 (2), FN 1 (3), TN 1 (1).
const std::vector<float> kBinaryP{0.1f, 0.9f, 0.8f, 0.2f, 0.4f, 0.6f, 0.6f, 0.4f, 0.3f, 0.7f};
const std::vector<std::int64_t> kBinaryY{1, 0, 0, 1, 1};

// Three classes. Rows -> argmax: 0, 1, 1, 2; labels 0, 1, 2, 2.
const std::vector<float> kMultiP{0.7f, 0.2f, 0.1f, 0.2f, 0.5f, 0.3f,
                                 0.1f, 0.6f, 0.3f, 0.3f, 0.3f, 0.4f};
const std::vector<std::int64_t> kMultiY{0, 1, 2, 2};

TEST(MetricsSuite, ConfusionMatrixRowsAreTrueClasses) {
  EXPECT_EQ(argmax_classes(kMultiP, 3), (std::vector<std::int64_t>{0, 1, 1, 2}));
  EXPECT_EQ(confusion_matrix({0, 1, 1, 2}, kMultiY, 3),
            (std::vector<std::int64_t>{1, 0, 0, 0, 1, 0, 0, 1, 1}));
}

TEST(MetricsSuite, BinaryConfusionMetrics) {
  EXPECT_DOUBLE_EQ(sensitivity(kBinaryP, kBinaryY), 2.0 / 3.0);           // 2 / (2 + 1)
  EXPECT_DOUBLE_EQ(specificity(kBinaryP, kBinaryY), 0.5);                 // 1 / (1 + 1)
  EXPECT_DOUBLE_EQ(balanced_accuracy(kBinaryP, kBinaryY, 2), 7.0 / 12.0);  // (2/3 + 1/2) / 2
  EXPECT_DOUBLE_EQ(f1_score(kBinaryP, kBinaryY, 2), 2.0 / 3.0);            // 4 / (4 + 1 + 1)
}

TEST(MetricsSuite, MultiClassConfusionMetrics) {
  // Recalls 1, 1, 1/2.
  EXPECT_DOUBLE_EQ(balanced_accuracy(kMultiP, kMultiY, 3), 5.0 / 6.0);
  // F1 per class: 2*1/(1+1) = 1, 2*1/(1+2) = 2/3, 2*1/(2+1) = 2/3 -> macro 7/9.
  EXPECT_DOUBLE_EQ(f1_score(kMultiP, kMultiY, 3), 7.0 / 9.0);
}

TEST(MetricsSuite, BalancedAccuracySkipsClassesWithoutLabels) {
  // Labels 0 0 1, predictions 0 2 1: recall of class 0 is 1/2, of class 1 is 1; class 2 has no
  // label and does not count (sklearn balanced_accuracy_score gives 0.75 too).
  const std::vector<float> p{0.8f, 0.1f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.8f, 0.1f};
  EXPECT_DOUBLE_EQ(balanced_accuracy(p, {0, 0, 1}, 3), 0.75);
}

TEST(MetricsSuite, UndefinedBinaryMetricsAreNaN) {
  // Every label and every prediction is class 0.
  const std::vector<float> p{0.9f, 0.1f, 0.8f, 0.2f};
  const std::vector<std::int64_t> y{0, 0};
  EXPECT_TRUE(std::isnan(sensitivity(p, y)));
  EXPECT_TRUE(std::isnan(f1_score(p, y, 2)));
  EXPECT_TRUE(std::isnan(auprc(p, y, 2)));
  EXPECT_DOUBLE_EQ(specificity(p, y), 1.0);
  EXPECT_TRUE(std::isnan(specificity(p, {1, 1})));
}

TEST(MetricsSuite, AveragePrecisionMatchesScikitLearnExample) {
  // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333...:
  // 0.8 -> R 1/2, P 1; 0.4 -> R 1/2; 0.35 -> R 1, P 2/3: 1/2 + 1/2 * 2/3.
  EXPECT_DOUBLE_EQ(average_precision({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 5.0 / 6.0);
}

TEST(MetricsSuite, AveragePrecisionTreatsTiedScoresAsOneThreshold) {
  // 0.8 -> R 1/2, P 1; the tied 0.5s cross together: R 1, P 2/3 -> 5/6 whatever their order.
  EXPECT_DOUBLE_EQ(average_precision({0.8, 0.5, 0.5, 0.1}, {1, 0, 1, 0}), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(average_precision({0.8, 0.5, 0.5, 0.1}, {1, 1, 0, 0}), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(average_precision({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
}

TEST(MetricsSuite, AuprcBinaryAndMacro) {
  // Binary: 0.9 (+) R 1/3 P 1; 0.7 (+) R 2/3 P 1; 0.6 (-); 0.4 (+) R 1 P 3/4 -> 2/3 + 1/4.
  EXPECT_NEAR(auprc(kBinaryP, kBinaryY, 2), 11.0 / 12.0, 1e-12);
  // One vs rest: class 0 -> 1; class 1 -> its positive ranks second, 1/2; class 2 -> 0.4 (+)
  // R 1/2 P 1, tied 0.3s R 1 P 2/3 -> 5/6. Macro: (1 + 1/2 + 5/6) / 3 = 7/9.
  EXPECT_NEAR(auprc(kMultiP, kMultiY, 3), 7.0 / 9.0, 1e-12);
}

TEST(MetricsSuite, BrierBinaryIsMeanSquaredErrorOfPositiveProbability) {
  // (0.1^2 + 0.2^2 + 0.6^2 + 0.6^2 + 0.3^2) / 5 = 0.86 / 5.
  EXPECT_NEAR(brier_score(kBinaryP, kBinaryY, 2), 0.172, 1e-6);
}

TEST(MetricsSuite, BrierMultiClassSumsOverTheOneHotVector) {
  // Per sample: 0.09+0.04+0.01, 0.04+0.25+0.09, 0.01+0.36+0.49, 0.09+0.09+0.36 -> 1.92 / 4.
  EXPECT_NEAR(brier_score(kMultiP, kMultiY, 3), 0.48, 1e-6);
}

TEST(MetricsSuite, DiceOfBinaryMasks) {
  // Predicted {1, 2, 4}, true {1, 3, 4}: 2 * 2 / (3 + 3).
  EXPECT_DOUBLE_EQ(dice({0, 1, 1, 0, 1}, {0, 1, 0, 1, 1}, 2), 2.0 / 3.0);
}

TEST(MetricsSuite, DiceAveragesForegroundClasses) {
  // Class 1: P {1, 2}, T {1} -> 2/3. Class 2: P {3, 4}, T {2, 3} -> 2/4. Mean 7/12.
  EXPECT_DOUBLE_EQ(dice({0, 1, 1, 2, 2, 0}, {0, 1, 2, 2, 0, 0}, 3), 7.0 / 12.0);
  // Class 2 is in neither mask: skipped, not counted as 0 or 1.
  EXPECT_DOUBLE_EQ(dice({0, 1, 1}, {0, 1, 0}, 3), 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(dice({0, 0}, {0, 0}, 2)));
}

TEST(MetricsSuite, DiceCountsAddUpAcrossParts) {
  const std::vector<std::int64_t> p{0, 1, 1, 2, 2, 0}, t{0, 1, 2, 2, 0, 0};
  auto first = dice_counts({p.begin(), p.begin() + 3}, {t.begin(), t.begin() + 3}, 3);
  const auto second = dice_counts({p.begin() + 3, p.end()}, {t.begin() + 3, t.end()}, 3);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] += second[i];  // what allreduce does
  EXPECT_EQ(first, dice_counts(p, t, 3));
  EXPECT_DOUBLE_EQ(dice_from_counts(first, 3), 7.0 / 12.0);
}

TEST(MetricsSuite, LabelOutsideTheClassesIsAnError) {
  EXPECT_THROW(balanced_accuracy(kBinaryP, {1, 0, 0, 1, 2}, 2), InternalError);
  EXPECT_THROW(dice({0, 3}, {0, 1}, 2), InternalError);
}

TEST(MetricsSuite, ClassificationMetricsReturnsEveryApplicableMetric) {
  const std::vector<float> losses(5, 0.5f);
  const auto binary = classification_metrics(kBinaryP, kBinaryY, losses, 2);
  std::vector<std::string> names;
  for (const auto& [name, value] : binary) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"accuracy", "auc", "auprc", "balanced_accuracy",
                                             "brier", "f1", "loss", "sensitivity",
                                             "specificity"}));
  EXPECT_DOUBLE_EQ(binary.at("accuracy"), 0.6);
  EXPECT_DOUBLE_EQ(binary.at("sensitivity"), 2.0 / 3.0);
  EXPECT_NEAR(binary.at("brier"), 0.172, 1e-6);

  const auto multi = classification_metrics(kMultiP, kMultiY, std::vector<float>(4, 1.0f), 3);
  EXPECT_EQ(multi.count("sensitivity"), 0u);  // no positive class with three classes
  EXPECT_DOUBLE_EQ(multi.at("f1"), 7.0 / 9.0);
  EXPECT_DOUBLE_EQ(multi.at("balanced_accuracy"), 5.0 / 6.0);
}

}  // namespace
}  // namespace galien
