#include "trainers/observability/patient_metrics.h"

#include <unordered_map>

#include "core/error.h"
#include "trainers/observability/metrics.h"

namespace galien {

PatientAggregate aggregate_by_patient(const std::vector<std::string>& pseudonyms,
                                      const std::vector<float>& probabilities,
                                      const std::vector<std::int64_t>& labels,
                                      const std::vector<float>& losses, int num_classes) {
  const std::size_t n = pseudonyms.size(), k = static_cast<std::size_t>(num_classes);
  GALIEN_CHECK(num_classes >= 1 && probabilities.size() == n * k && labels.size() == n &&
                   losses.size() == n,
               "patient metrics: " << n << " pseudonyms, " << probabilities.size()
                                   << " probabilities, " << labels.size() << " labels, "
                                   << losses.size() << " losses for " << num_classes << " classes");
  std::unordered_map<std::string, std::size_t> index;  // pseudonym -> patient
  std::vector<std::vector<double>> probability_sums;
  std::vector<std::vector<std::int64_t>> label_counts;
  std::vector<double> loss_sums;
  std::vector<std::int64_t> sizes;
  for (std::size_t i = 0; i < n; ++i) {
    const auto [it, added] = index.emplace(pseudonyms[i], sizes.size());
    if (added) {
      probability_sums.emplace_back(k, 0.0);
      label_counts.emplace_back(k, 0);
      loss_sums.push_back(0);
      sizes.push_back(0);
    }
    const std::size_t p = it->second;
    const std::int64_t label = labels[i];
    GALIEN_CHECK(label >= 0 && label < num_classes, "label " << label << " of " << num_classes);
    for (std::size_t c = 0; c < k; ++c) probability_sums[p][c] += probabilities[i * k + c];
    ++label_counts[p][static_cast<std::size_t>(label)];
    loss_sums[p] += losses[i];
    ++sizes[p];
  }
  PatientAggregate out;
  for (std::size_t p = 0; p < sizes.size(); ++p) {
    const double size = static_cast<double>(sizes[p]);
    for (std::size_t c = 0; c < k; ++c)
      out.probabilities.push_back(static_cast<float>(probability_sums[p][c] / size));
    std::size_t best = 0, labels_seen = 0;
    for (std::size_t c = 0; c < k; ++c) {
      if (label_counts[p][c] > label_counts[p][best]) best = c;  // strict: lower index on a tie
      if (label_counts[p][c] > 0) ++labels_seen;
    }
    out.labels.push_back(static_cast<std::int64_t>(best));
    out.losses.push_back(static_cast<float>(loss_sums[p] / size));
    if (labels_seen > 1) ++out.mixed_label_patients;
  }
  return out;
}

std::map<std::string, double> patient_classification_metrics(
    const std::vector<std::string>& pseudonyms, const std::vector<float>& probabilities,
    const std::vector<std::int64_t>& labels, const std::vector<float>& losses, int num_classes) {
  const PatientAggregate patients =
      aggregate_by_patient(pseudonyms, probabilities, labels, losses, num_classes);
  std::map<std::string, double> metrics;
  for (const auto& [name, value] : classification_metrics(patients.probabilities, patients.labels,
                                                          patients.losses, num_classes))
    metrics["patient/" + name] = value;
  metrics["patient/patients"] = static_cast<double>(patients.labels.size());
  metrics["patient/mixed_label_patients"] = static_cast<double>(patients.mixed_label_patients);
  return metrics;
}

}  // namespace galien
