#include "trainers/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace galien {

double accuracy(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
                int num_classes) {
  GALIEN_CHECK(probabilities.size() == labels.size() * static_cast<std::size_t>(num_classes),
               "probabilities/labels size mismatch");
  if (labels.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* row = probabilities.data() + i * static_cast<std::size_t>(num_classes);
    auto predicted = std::max_element(row, row + num_classes) - row;
    if (predicted == labels[i]) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double auc_roc(const std::vector<double>& scores, const std::vector<std::int64_t>& labels) {
  GALIEN_CHECK(scores.size() == labels.size(), "scores/labels size mismatch");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks, tied scores sharing their average rank.
  double positive_rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (std::size_t k = i; k < j; ++k)
      if (labels[order[k]] == 1) {
        positive_rank_sum += average_rank;
        ++positives;
      }
    i = j;
  }
  const std::size_t negatives = labels.size() - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives), n = static_cast<double>(negatives);
  return (positive_rank_sum - p * (p + 1) / 2) / (p * n);
}

double auc_roc(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
               int num_classes) {
  const auto k = static_cast<std::size_t>(num_classes);
  auto one_vs_rest = [&](int cls) {
    std::vector<double> scores(labels.size());
    std::vector<std::int64_t> binary(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
      scores[i] = probabilities[i * k + static_cast<std::size_t>(cls)];
      binary[i] = labels[i] == cls ? 1 : 0;
    }
    return auc_roc(scores, binary);
  };
  if (num_classes == 2) return one_vs_rest(1);
  double sum = 0.0;
  int counted = 0;
  for (int c = 0; c < num_classes; ++c) {
    double auc = one_vs_rest(c);
    if (!std::isnan(auc)) {
      sum += auc;
      ++counted;
    }
  }
  return counted ? sum / counted : std::numeric_limits<double>::quiet_NaN();
}

std::map<std::string, double> classification_metrics(const std::vector<float>& probabilities,
                                                     const std::vector<std::int64_t>& labels,
                                                     const std::vector<float>& losses,
                                                     int num_classes) {
  double loss_sum = 0.0;
  for (float l : losses) loss_sum += l;
  return {{"loss", losses.empty() ? std::numeric_limits<double>::quiet_NaN()
                                  : loss_sum / static_cast<double>(losses.size())},
          {"accuracy", accuracy(probabilities, labels, num_classes)},
          {"auc", auc_roc(probabilities, labels, num_classes)}};
}

}  // namespace galien
