#include "trainers/observability/metrics.h"

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
  std::map<std::string, double> metrics{
      {"loss", losses.empty() ? std::numeric_limits<double>::quiet_NaN()
                              : loss_sum / static_cast<double>(losses.size())},
      {"accuracy", accuracy(probabilities, labels, num_classes)},
      {"auc", auc_roc(probabilities, labels, num_classes)},
      {"balanced_accuracy", balanced_accuracy(probabilities, labels, num_classes)},
      {"auprc", auprc(probabilities, labels, num_classes)},
      {"f1", f1_score(probabilities, labels, num_classes)},
      {"brier", brier_score(probabilities, labels, num_classes)}};
  if (num_classes == 2) {  // a positive class exists only in the binary case
    metrics["sensitivity"] = sensitivity(probabilities, labels);
    metrics["specificity"] = specificity(probabilities, labels);
  }
  return metrics;
}

// --- survival (models/ owner).
namespace {

// Counts of inserted values by rank (1-based), with prefix sums in O(log n).
class FenwickCounts {
 public:
  explicit FenwickCounts(std::size_t size) : tree_(size + 1, 0) {}
  void add(std::size_t rank) {
    for (; rank < tree_.size(); rank += rank & (~rank + 1)) ++tree_[rank];
  }
  // Values inserted with rank <= `rank`.
  std::int64_t prefix(std::size_t rank) const {
    std::int64_t sum = 0;
    for (; rank > 0; rank -= rank & (~rank + 1)) sum += tree_[rank];
    return sum;
  }

 private:
  std::vector<std::int64_t> tree_;
};

}  // namespace

double concordance_index(const std::vector<double>& risk, const std::vector<double>& time,
                         const std::vector<std::int64_t>& event) {
  GALIEN_CHECK(risk.size() == time.size() && risk.size() == event.size(),
               "concordance of " << risk.size() << " risks, " << time.size() << " times, "
               << event.size() << " events");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::any_of(risk.begin(), risk.end(), [](double r) { return std::isnan(r); })) return nan;
  // Rank of each risk among the distinct risks (1-based), for the Fenwick tree.
  std::vector<double> distinct(risk);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  auto rank_of = [&](double r) {
    return static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), r) -
                                    distinct.begin()) + 1;
  };
  // Walk times from the latest down; when a group of equal times is reached, the tree holds
  // exactly the samples with a strictly later time, the partners j of its events i.
  std::vector<std::size_t> order(risk.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return time[a] > time[b]; });
  FenwickCounts later(distinct.size());
  std::int64_t inserted = 0, comparable = 0, concordant = 0, tied = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    while (end < order.size() && time[order[end]] == time[order[begin]]) ++end;
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t i = order[k];
      if (event[i] == 0) continue;
      const std::size_t rank = rank_of(risk[i]);
      const std::int64_t lower = later.prefix(rank - 1), up_to = later.prefix(rank);
      comparable += inserted;
      concordant += lower;
      tied += up_to - lower;
    }
    for (std::size_t k = begin; k < end; ++k) later.add(rank_of(risk[order[k]]));
    inserted += static_cast<std::int64_t>(end - begin);
    begin = end;
  }
  if (comparable == 0) return nan;
  return (static_cast<double>(concordant) + 0.5 * static_cast<double>(tied)) /
         static_cast<double>(comparable);
}

}  // namespace galien
