// The re-identification risk analysis shared by `galien shard` (the gate) and `galien audit`:
// equivalence classes on the quasi-identifiers as they are in the source (before) and as they
// are released (after the configured generalisations), and, when k is still below k_min, the
// single further generalisation that helps most. Values stay in here; figures come out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "privacy/generalise.h"
#include "privacy/risk.h"

namespace galien {

struct QuasiIdentifier {
  std::string column;
  std::vector<std::string> raw;        // per record, trimmed; "" for a missing value
  std::vector<std::string> released;   // per record, as it reaches the shards
  std::optional<Generalisation> rule;  // what turned raw into released, if anything
  bool withheld = false;               // not released at all (data.drop): not in `after`
};

struct Suggestion {
  Generalisation rule;
  std::int64_t k = 0;           // k with this rule added to the current ones
  bool reaches_k_min = false;
};

struct RiskAnalysis {
  RiskFigures before, after;
  std::optional<Suggestion> suggestion;  // only when after.k < k_min
};

RiskAnalysis analyse_quasi_identifiers(const std::vector<QuasiIdentifier>& quasi,
                                       const std::vector<std::string>& patients, int k_min);

// `raw` generalised by `rule`, missing values kept as "". Throws UserError naming
// source:line and the column when a value does not fit the rule; the value itself is not shown.
std::vector<std::string> generalise_column(const Generalisation& rule,
                                           const std::vector<std::string>& raw,
                                           const std::vector<std::int64_t>& lines,
                                           const std::string& source);

// Records `rows` (indices) of every column, for analysing only the rows that will be written.
std::vector<QuasiIdentifier> select_rows(const std::vector<QuasiIdentifier>& quasi,
                                         const std::vector<std::size_t>& rows);

// "k = 1 on quasi-identifiers [age, sex] (k_min 5): 180 of 200 records (90.0%) in classes below
// k_min, prosecutor risk max 1, mean 0.83" plus the suggestion, for messages and the CLI.
std::string describe_gate_failure(const std::vector<QuasiIdentifier>& quasi,
                                  const RiskAnalysis& analysis);
std::string describe_suggestion(const Suggestion& suggestion, int k_min);

nlohmann::ordered_json suggestion_json(const Suggestion& suggestion);

}  // namespace galien
