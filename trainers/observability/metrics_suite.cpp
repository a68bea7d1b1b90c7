// The metric suite beyond loss/accuracy/AUC (declared in trainers/observability/metrics.h): confusion-matrix
// metrics, average precision, Brier score and Dice, all over a whole split on rank 0.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "trainers/observability/metrics.h"

namespace galien {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t index(std::int64_t value, int num_classes, const char* what) {
  GALIEN_CHECK(value >= 0 && value < num_classes,
               what << " " << value << " outside [0, " << num_classes << ")");
  return static_cast<std::size_t>(value);
}

double ratio(std::int64_t numerator, std::int64_t denominator) {
  return denominator ? static_cast<double>(numerator) / static_cast<double>(denominator) : kNaN;
}

// Mean of the values that are not NaN; NaN if none.
double nan_mean(const std::vector<double>& values) {
  double sum = 0.0;
  int counted = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++counted;
    }
  return counted ? sum / counted : kNaN;
}

// Binary confusion counts with class 1 positive.
struct BinaryCounts {
  std::int64_t tp = 0, fp = 0, tn = 0, fn = 0;
};

BinaryCounts binary_counts(const std::vector<float>& probabilities,
                           const std::vector<std::int64_t>& labels) {
  const auto matrix = confusion_matrix(argmax_classes(probabilities, 2), labels, 2);
  return {matrix[3], matrix[1], matrix[0], matrix[2]};  // [true][predicted]
}

std::vector<double> class_scores(const std::vector<float>& probabilities, std::size_t n, int k,
                                 int cls) {
  std::vector<double> scores(n);
  for (std::size_t i = 0; i < n; ++i)
    scores[i] = probabilities[i * static_cast<std::size_t>(k) + static_cast<std::size_t>(cls)];
  return scores;
}

std::vector<std::int64_t> one_vs_rest(const std::vector<std::int64_t>& labels, int cls) {
  std::vector<std::int64_t> binary(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) binary[i] = labels[i] == cls ? 1 : 0;
  return binary;
}

}  // namespace

std::vector<std::int64_t> argmax_classes(const std::vector<float>& probabilities,
                                         int num_classes) {
  GALIEN_CHECK(num_classes > 0 && probabilities.size() % static_cast<std::size_t>(num_classes) == 0,
               "probabilities size " << probabilities.size() << " is not n x " << num_classes);
  const auto k = static_cast<std::size_t>(num_classes);
  std::vector<std::int64_t> predicted(probabilities.size() / k);
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const float* row = probabilities.data() + i * k;
    predicted[i] = std::max_element(row, row + num_classes) - row;
  }
  return predicted;
}

std::vector<std::int64_t> confusion_matrix(const std::vector<std::int64_t>& predicted,
                                           const std::vector<std::int64_t>& labels,
                                           int num_classes) {
  GALIEN_CHECK(predicted.size() == labels.size(), "predictions/labels size mismatch");
  const auto k = static_cast<std::size_t>(num_classes);
  std::vector<std::int64_t> matrix(k * k, 0);
  for (std::size_t i = 0; i < labels.size(); ++i)
    ++matrix[index(labels[i], num_classes, "label") * k +
             index(predicted[i], num_classes, "predicted class")];
  return matrix;
}

double balanced_accuracy(const std::vector<float>& probabilities,
                         const std::vector<std::int64_t>& labels, int num_classes) {
  const auto matrix = confusion_matrix(argmax_classes(probabilities, num_classes), labels,
                                       num_classes);
  const auto k = static_cast<std::size_t>(num_classes);
  std::vector<double> recalls;
  for (std::size_t c = 0; c < k; ++c) {
    const std::int64_t support = std::accumulate(matrix.begin() + c * k,
                                                 matrix.begin() + (c + 1) * k, std::int64_t{0});
    recalls.push_back(ratio(matrix[c * k + c], support));  // NaN (skipped) when c is absent
  }
  return nan_mean(recalls);
}

double f1_score(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
                int num_classes) {
  const auto matrix = confusion_matrix(argmax_classes(probabilities, num_classes), labels,
                                       num_classes);
  const auto k = static_cast<std::size_t>(num_classes);
  auto f1_of = [&](std::size_t c) {
    std::int64_t true_count = 0, predicted_count = 0;
    for (std::size_t j = 0; j < k; ++j) {
      true_count += matrix[c * k + j];
      predicted_count += matrix[j * k + c];
    }
    // 2TP / (2TP + FP + FN) = 2TP / (|true c| + |predicted c|); NaN when both are empty.
    return ratio(2 * matrix[c * k + c], true_count + predicted_count);
  };
  if (num_classes == 2) return f1_of(1);
  std::vector<double> per_class;
  for (std::size_t c = 0; c < k; ++c) per_class.push_back(f1_of(c));
  return nan_mean(per_class);
}

double sensitivity(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels) {
  const BinaryCounts n = binary_counts(probabilities, labels);
  return ratio(n.tp, n.tp + n.fn);
}

double specificity(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels) {
  const BinaryCounts n = binary_counts(probabilities, labels);
  return ratio(n.tn, n.tn + n.fp);
}

double average_precision(const std::vector<double>& scores,
                         const std::vector<std::int64_t>& labels) {
  GALIEN_CHECK(scores.size() == labels.size(), "scores/labels size mismatch");
  const auto positives = std::count(labels.begin(), labels.end(), std::int64_t{1});
  if (positives == 0) return kNaN;
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
  // One precision/recall point per distinct score: tied samples cross the threshold together.
  double ap = 0.0, previous_recall = 0.0;
  std::int64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j)
      (labels[order[j]] == 1 ? tp : fp) += 1;
    const double recall = static_cast<double>(tp) / static_cast<double>(positives);
    ap += (recall - previous_recall) * static_cast<double>(tp) / static_cast<double>(tp + fp);
    previous_recall = recall;
    i = j;
  }
  return ap;
}

double auprc(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
             int num_classes) {
  GALIEN_CHECK(probabilities.size() == labels.size() * static_cast<std::size_t>(num_classes),
               "probabilities/labels size mismatch");
  auto ap_of = [&](int c) {
    return average_precision(class_scores(probabilities, labels.size(), num_classes, c),
                             one_vs_rest(labels, c));
  };
  if (num_classes == 2) return ap_of(1);
  std::vector<double> per_class;
  for (int c = 0; c < num_classes; ++c) per_class.push_back(ap_of(c));
  return nan_mean(per_class);
}

double brier_score(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels, int num_classes) {
  GALIEN_CHECK(probabilities.size() == labels.size() * static_cast<std::size_t>(num_classes),
               "probabilities/labels size mismatch");
  if (labels.empty()) return kNaN;
  const auto k = static_cast<std::size_t>(num_classes);
  double sum = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::size_t label = index(labels[i], num_classes, "label");
    if (num_classes == 2) {
      const double d = probabilities[i * k + 1] - (label == 1 ? 1.0 : 0.0);
      sum += d * d;
      continue;
    }
    for (std::size_t c = 0; c < k; ++c) {
      const double d = probabilities[i * k + c] - (c == label ? 1.0 : 0.0);
      sum += d * d;
    }
  }
  return sum / static_cast<double>(labels.size());
}

std::vector<std::int64_t> dice_counts(const std::vector<std::int64_t>& predicted,
                                      const std::vector<std::int64_t>& truth, int num_classes) {
  GALIEN_CHECK(predicted.size() == truth.size(), "predicted/true mask size mismatch: "
                                                     << predicted.size() << " vs " << truth.size());
  const auto k = static_cast<std::size_t>(num_classes);
  std::vector<std::int64_t> counts(3 * k, 0);  // [intersection..., predicted..., true...]
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const std::size_t p = index(predicted[i], num_classes, "predicted class");
    const std::size_t t = index(truth[i], num_classes, "true class");
    if (p == t) ++counts[p];
    ++counts[k + p];
    ++counts[2 * k + t];
  }
  return counts;
}

double dice_from_counts(const std::vector<std::int64_t>& counts, int num_classes) {
  const auto k = static_cast<std::size_t>(num_classes);
  GALIEN_CHECK(counts.size() == 3 * k, "Dice counts hold " << counts.size() << " values, not 3 x "
                                                           << num_classes);
  std::vector<double> per_class;
  for (std::size_t c = 1; c < k; ++c)  // class 0 is background
    per_class.push_back(ratio(2 * counts[c], counts[k + c] + counts[2 * k + c]));
  return nan_mean(per_class);
}

double dice(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
            int num_classes) {
  return dice_from_counts(dice_counts(predicted, truth, num_classes), num_classes);
}

}  // namespace galien
