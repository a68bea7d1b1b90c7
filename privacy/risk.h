// Re-identification risk on quasi-identifiers (k-anonymity, Sweeney 2002): records that share
// every quasi-identifier value form an equivalence class; an attacker who knows a person's
// quasi-identifiers and that the person is in the data (the prosecutor model) picks them out
// with probability 1 / (people in that class). Only sizes and counts come out of here, never a
// value, so figures can go to reports and messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace galien {

struct RiskFigures {
  std::int64_t records = 0;
  std::int64_t patients = 0;
  std::int64_t classes = 0;              // distinct quasi-identifier combinations
  std::int64_t k = 0;                    // patients in the smallest class (0 for no records)
  int k_min = 1;
  std::int64_t records_below_k_min = 0;  // records in classes of fewer than k_min patients
  std::int64_t unique_records = 0;       // records in classes of one patient
  double share_below_k_min = 0;          // records_below_k_min / records
  double max_risk = 0;                   // prosecutor risk of the most exposed record: 1 / k
  double mean_risk = 0;                  // mean over records of 1 / (patients in its class)

  bool passes() const { return k >= k_min; }
};

// `quasi[r]` is record r's quasi-identifier combination (any encoding that is equal exactly when
// the values are; see quasi_identifier_key) and `patients[r]` who it belongs to. A class counts
// distinct patients, not records: five stays of one patient do not hide that patient.
RiskFigures measure_risk(const std::vector<std::string>& quasi,
                         const std::vector<std::string>& patients, int k_min);

// One record's values joined unambiguously (length-prefixed), for measure_risk.
std::string quasi_identifier_key(const std::vector<std::string>& values);

nlohmann::ordered_json risk_json(const RiskFigures& figures);

}  // namespace galien
