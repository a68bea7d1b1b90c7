// trainer.patient_metrics: classification metrics per patient when a patient has several samples
// (visits, both eyes, several lesions). A patient is the set of samples sharing a pseudonym
// (the shards' /pseudonym is the patient's); its probability is the mean of its samples', its
// label its most frequent sample label (the lower class index on a tie: the rule the split
// stratifies on, datasets/split.h), its loss the mean of its samples'. No LibTorch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace galien {

struct PatientAggregate {
  std::vector<float> probabilities;  // [patients x classes], row-major, patients in first-seen order
  std::vector<std::int64_t> labels;  // per patient
  std::vector<float> losses;         // per patient
  std::int64_t mixed_label_patients = 0;  // patients whose samples carry more than one label
};

// `probabilities` [samples x num_classes], one pseudonym, label and loss per sample.
PatientAggregate aggregate_by_patient(const std::vector<std::string>& pseudonyms,
                                      const std::vector<float>& probabilities,
                                      const std::vector<std::int64_t>& labels,
                                      const std::vector<float>& losses, int num_classes);

// classification_metrics (trainers/observability/metrics.h) of the patients, keyed "patient/<metric>", plus
// "patient/patients" and "patient/mixed_label_patients".
std::map<std::string, double> patient_classification_metrics(
    const std::vector<std::string>& pseudonyms, const std::vector<float>& probabilities,
    const std::vector<std::int64_t>& labels, const std::vector<float>& losses, int num_classes);

}  // namespace galien
