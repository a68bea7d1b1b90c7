#include <gtest/gtest.h>

#include <cmath>

#include "trainers/observability/metrics.h"
#include "trainers/observability/patient_metrics.h"

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

TEST(PatientMetrics, APatientIsItsSamplesMeanProbabilityAndMostFrequentLabel) {
  // Patient a: two samples labelled 1 and 0 (mixed; tie -> the lower class, 0), mean p1 0.5;
  // patient b: one sample of class 1 at p1 0.9; patient c: two samples of class 0, mean p1 0.2.
  const std::vector<std::string> pseudonyms{"a", "b", "a", "c", "c"};
  const std::vector<float> probabilities{0.2f, 0.8f, 0.1f, 0.9f, 0.8f, 0.2f,
                                         0.7f, 0.3f, 0.9f, 0.1f};
  const std::vector<std::int64_t> labels{1, 1, 0, 0, 0};
  const std::vector<float> losses{1.f, 2.f, 3.f, 4.f, 6.f};
  const PatientAggregate p = aggregate_by_patient(pseudonyms, probabilities, labels, losses, 2);
  ASSERT_EQ(p.labels, (std::vector<std::int64_t>{0, 1, 0}));  // first-seen order a, b, c
  EXPECT_FLOAT_EQ(p.probabilities[1], 0.5f);
  EXPECT_FLOAT_EQ(p.probabilities[3], 0.9f);
  EXPECT_FLOAT_EQ(p.probabilities[5], 0.2f);
  EXPECT_EQ(p.losses, (std::vector<float>{2.f, 2.f, 5.f}));
  EXPECT_EQ(p.mixed_label_patients, 1);
  const auto metrics = patient_classification_metrics(pseudonyms, probabilities, labels, losses, 2);
  EXPECT_EQ(metrics.at("patient/patients"), 3);
  EXPECT_EQ(metrics.at("patient/mixed_label_patients"), 1);
  EXPECT_DOUBLE_EQ(metrics.at("patient/auc"), 1.0);       // 0.9 above 0.5 and 0.2
  // a's mean [0.5, 0.5] is called class 0 (argmax keeps the first), its label: all correct.
  EXPECT_DOUBLE_EQ(metrics.at("patient/accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(metrics.at("patient/loss"), 3.0);
}

}  // namespace galien
