// What evaluating one split gives: metrics over the whole split and one row of predictions per
// sample, keyed by pseudonym (never a raw patient id). No LibTorch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace galien {

// One row per sample; the columns are the task's (trainers/tasks/<task>.cpp): classification
// "label" + "prob_<class index>"; survival "risk" (log-risk), "time", "event"; regression
// "prediction", "target" (raw units).
struct Predictions {
  std::vector<std::string> pseudonyms;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // values[c][row]

  const std::vector<double>& column(const std::string& name) const;  // GALIEN_CHECK if absent
  std::string to_csv() const;
};

struct Evaluation {
  std::map<std::string, double> metrics;  // rank 0 only
  Predictions predictions;                // rank 0 only
};

// Per-sample values of a split, as a task collects them: float columns and integer labels,
// concatenated over chunks, then over ranks (rank order) on rank 0.
struct EvalValues {
  std::vector<std::vector<float>> floats;
  std::vector<std::int64_t> ints;
};

}  // namespace galien
