#include "privacy/risk.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace galien {

RiskFigures measure_risk(const std::vector<std::string>& quasi,
                         const std::vector<std::string>& patients, int k_min) {
  GALIEN_CHECK(quasi.size() == patients.size(),
               quasi.size() << " quasi-identifier rows for " << patients.size() << " patients");
  std::unordered_map<std::string, std::unordered_set<std::string>> members;
  std::unordered_set<std::string> everyone;
  for (std::size_t r = 0; r < quasi.size(); ++r) {
    members[quasi[r]].insert(patients[r]);
    everyone.insert(patients[r]);
  }
  RiskFigures f;
  f.k_min = k_min;
  f.records = static_cast<std::int64_t>(quasi.size());
  f.patients = static_cast<std::int64_t>(everyone.size());
  f.classes = static_cast<std::int64_t>(members.size());
  double risk_sum = 0;
  for (const std::string& key : quasi) {
    const auto size = static_cast<std::int64_t>(members.at(key).size());
    f.k = f.k == 0 ? size : std::min(f.k, size);
    f.records_below_k_min += size < k_min;
    f.unique_records += size == 1;
    risk_sum += 1.0 / static_cast<double>(size);
  }
  if (f.records > 0) {
    f.share_below_k_min = static_cast<double>(f.records_below_k_min) / f.records;
    f.max_risk = 1.0 / static_cast<double>(f.k);
    f.mean_risk = risk_sum / static_cast<double>(f.records);
  }
  return f;
}

std::string quasi_identifier_key(const std::vector<std::string>& values) {
  std::string key;
  for (const std::string& value : values) {
    key += std::to_string(value.size());
    key += ':';
    key += value;
  }
  return key;
}

nlohmann::ordered_json risk_json(const RiskFigures& f) {
  return {{"records", f.records},
          {"patients", f.patients},
          {"equivalence_classes", f.classes},
          {"k", f.k},
          {"k_min", f.k_min},
          {"records_in_classes_below_k_min", f.records_below_k_min},
          {"share_of_records_below_k_min", f.share_below_k_min},
          {"unique_records", f.unique_records},
          {"prosecutor_risk_max", f.max_risk},
          {"prosecutor_risk_mean", f.mean_risk}};
}

}  // namespace galien
