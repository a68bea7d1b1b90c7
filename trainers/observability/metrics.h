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

// --- Metric suite (trainers/observability/metrics_suite.cpp; names and definitions: docs/observability.md).
// Predicted class = argmax of a row, the first one on ties (as accuracy() does). Labels must lie
// in [0, num_classes). NaN where a metric is undefined on the split, never a made-up value.

// Predicted class of each row of `probabilities` [n x num_classes].
std::vector<std::int64_t> argmax_classes(const std::vector<float>& probabilities, int num_classes);
// Row-major [num_classes x num_classes] counts: row = true class, column = predicted class.
std::vector<std::int64_t> confusion_matrix(const std::vector<std::int64_t>& predicted,
                                           const std::vector<std::int64_t>& labels,
                                           int num_classes);
// Mean per-class recall over the classes present in `labels` (sklearn balanced_accuracy_score).
double balanced_accuracy(const std::vector<float>& probabilities,
                         const std::vector<std::int64_t>& labels, int num_classes);
// Binary: F1 of class 1, 2TP / (2TP + FP + FN), NaN when class 1 is neither a label nor a
// prediction. Multi-class: macro F1 over the classes that are a label or a prediction.
double f1_score(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
                int num_classes);
// Binary only (class 1 positive): TP / (TP + FN), NaN without positives.
double sensitivity(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels);
// Binary only: TN / (TN + FP), NaN without negatives.
double specificity(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels);
// Average precision of `scores` for labels in {0, 1}: sum over distinct thresholds, from the
// highest, of (recall_n - recall_{n-1}) * precision_n; step-wise, no interpolation (sklearn
// average_precision_score). NaN without positives.
double average_precision(const std::vector<double>& scores,
                         const std::vector<std::int64_t>& labels);
// AUPRC. Binary: average precision of P(class 1). Multi-class: macro average of one-vs-rest
// average precisions over the classes present.
double auprc(const std::vector<float>& probabilities, const std::vector<std::int64_t>& labels,
             int num_classes);
// Binary: mean (P(class 1) - y)^2, in [0, 1]. Multi-class: mean over samples of the squared
// distance between the probability row and the one-hot label, sum over classes, in [0, 2]
// (Brier 1950; sklearn brier_score_loss's convention for both cases).
double brier_score(const std::vector<float>& probabilities,
                   const std::vector<std::int64_t>& labels, int num_classes);
// Dice of label masks (class 0 = background; binary masks: num_classes 2): per foreground class
// c, 2|P=c and T=c| / (|P=c| + |T=c|), averaged over the classes present in either mask; NaN
// when no foreground anywhere. Counts add up across ranks and cases: dice_counts gives
// [intersection, |P=c|, |T=c|] per class c (3 x num_classes), to allreduce-sum, then
// dice_from_counts, so a whole-split Dice is exact without gathering the masks.
std::vector<std::int64_t> dice_counts(const std::vector<std::int64_t>& predicted,
                                      const std::vector<std::int64_t>& truth, int num_classes);
double dice_from_counts(const std::vector<std::int64_t>& counts, int num_classes);
double dice(const std::vector<std::int64_t>& predicted, const std::vector<std::int64_t>& truth,
            int num_classes);
// --- end of the metric suite.

// For one split: {"loss", "accuracy", "auc", "balanced_accuracy", "auprc", "f1", "brier"}, and
// for two classes also "sensitivity" and "specificity"; `losses` are per-sample losses.
std::map<std::string, double> classification_metrics(const std::vector<float>& probabilities,
                                                     const std::vector<std::int64_t>& labels,
                                                     const std::vector<float>& losses,
                                                     int num_classes);

// --- survival (models/ owner).
// Harrell's C: over the comparable pairs (t_j > t_i and event_i != 0), the fraction where the
// earlier failure has the higher risk (risk_i > risk_j), tied risks counting 1/2. A pair with
// equal times is not comparable. NaN when no pair is comparable or a risk is NaN. O(n log n).
double concordance_index(const std::vector<double>& risk, const std::vector<double>& time,
                         const std::vector<std::int64_t>& event);

}  // namespace galien
