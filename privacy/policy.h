// The pseudonymisation policy of `galien shard` (docs/PRIVACY.md), applied to the raw table
// before it is encoded:
//   - free text: data.free_text columns, and categorical columns whose values read like prose,
//     are refused unless privacy.allow_free_text lists them with privacy.free_text_reason;
//   - privacy.generalise rules coarsen their columns (age bands, postcode prefixes, month/year);
//   - data.dates become days since 1970-01-01, shifted per patient (privacy.dates: shift) or
//     generalised to the first day of their month or year;
//   - the re-identification risk gate measures k-anonymity on privacy.quasi_identifiers before
//     and after, and refuses the release while k < privacy.k_min unless privacy.override_k
//     gives a written reason.
// Only sizes, counts and column names leave this class; never a cell value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "privacy/date_shift.h"
#include "privacy/generalise.h"
#include "privacy/risk_gate.h"

namespace galien {

// The columns the policy acts on, as text, one entry per record in file order. The caller
// copies them out of its table and writes them back after apply().
struct PolicyTable {
  std::string source;                                       // input file, for messages
  std::vector<std::int64_t> lines;                          // file line of each record
  std::vector<std::string> patients;                        // pseudonym of each record
  std::map<std::string, std::vector<std::string>> columns;  // name -> cells
};

struct PolicyColumn {
  std::string name;
  std::string key;  // the config key that names it, for "not in the file" messages
};

// Written reasons (free text allowed, gate overridden) must say something.
constexpr std::size_t kMinReasonLength = 20;

class PseudonymisationPolicy {
 public:
  // Checks the privacy.* keys against each other and against data.*; UserError naming the key.
  PseudonymisationPolicy(const Config& config, const SecretKey& key);

  // Every column apply() reads or rewrites; the caller fills PolicyTable::columns with these.
  std::vector<PolicyColumn> columns() const;

  // Rewrites table.columns in place; UserError naming file:line for a bad date or a value that
  // does not fit its generalisation, or free text in a categorical column.
  void apply(PolicyTable& table);

  // The gate, on the records that will be written (by file line). Returns when k >= k_min, no
  // quasi-identifier is configured, or an override reason is set; otherwise writes
  // privacy_report.json and privacy_report.md (marked refused) into report_dir and throws.
  void gate(const std::vector<std::int64_t>& kept_lines, const std::string& report_dir);

  // This policy's part of privacy_report.json: dates, free text, generalisations, risk.
  nlohmann::ordered_json report() const;
  // {decision, k_min, k_before, k_after} for the audit log.
  nlohmann::ordered_json gate_summary() const;

 private:
  void check_free_text(const PolicyTable& table) const;
  void collect_quasi_identifiers(const PolicyTable& table);
  void convert_dates(PolicyTable& table) const;
  std::optional<Generalisation> rule_for(const std::string& column) const;
  std::optional<Generalisation> effective_rule(const std::string& column) const;

  DataConfig data_;
  PrivacyConfig privacy_;
  DateShifter shifter_;
  std::vector<Generalisation> rules_;
  std::string source_;
  std::vector<QuasiIdentifier> quasi_;  // every record of the file
  std::vector<std::int64_t> lines_;
  std::vector<std::string> patients_;
  std::optional<RiskAnalysis> analysis_;
  std::vector<QuasiIdentifier> analysed_;  // the records the gate measured
  std::string decision_ = "not run";
};

}  // namespace galien
