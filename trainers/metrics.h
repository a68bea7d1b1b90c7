// Classification metrics over a whole split. The trainer gathers every rank's predictions on
// rank 0 first, so these are exact, not averages of per-rank values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace galien {

// probabilities: row-major [n x num_classes], each row sums to 1.
double accuracy(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
                int num_classes);
// Binary AUC-ROC of `scores` for labels in {0, 1}: the Mann-Whitney statistic with tied scores
// counted as 1/2. NaN when one class is absent.
double auc_roc(const std::vector<double>& scores, const std::vector<std::int64_t>& labels);
// Binary: AUC of P(class 1). Multi-class: macro average of one-vs-rest AUCs over the classes
// present.
double auc_roc(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
               int num_classes);

// {"loss", "accuracy", "auc"} for one split; `losses` are per-sample losses.
std::map<std::string, double> classification_metrics(const std::vector<float>& probabilities,
                                                     const std::vector<std::int64_t>& labels,
                                                     const std::vector<float>& losses,
                                                     int num_classes);

}  // namespace galien
