#include "privacy/policy.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "core/log.h"
#include "privacy/cell.h"
#include "privacy/dates.h"
#include "privacy/free_text.h"
#include "privacy/report.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string trimmed(const std::optional<std::string>& text) {
  return text ? std::string(trim_cell(*text)) : std::string();
}

void check_reason(const std::optional<std::string>& reason, const std::string& key) {
  if (!reason) return;
  if (trimmed(reason).size() < kMinReasonLength) {
    GALIEN_USER_ERROR(key << " must be a written reason of at least " << kMinReasonLength
                          << " characters (who approved what, and why), got "
                          << trimmed(reason).size() << " characters");
  }
}

// Roles this policy introduces (dates, free text) may not clash with the others: the clash would
// otherwise only be found after the policy rewrote the cells.
void check_roles(const DataConfig& data) {
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> others = {
      {"data.drop", &data.drop}, {"data.numeric", &data.numeric},
      {"data.categorical", &data.categorical}};
  for (const auto& [key, columns] : {std::pair{"data.dates", &data.dates},
                                     std::pair{"data.free_text", &data.free_text}}) {
    for (const std::string& column : *columns) {
      for (const auto& [other, list] : others) {
        if (contains(*list, column))
          GALIEN_USER_ERROR("column '" << column << "' is named in both " << key << " and "
                                       << other << ": keep it in one");
      }
      if (column == data.label_column || column == data.patient_id_column)
        GALIEN_USER_ERROR(key << " names '" << column << "', the label or patient id column");
    }
  }
  for (const std::string& column : data.dates) {
    if (contains(data.free_text, column))
      GALIEN_USER_ERROR("column '" << column << "' is named in both data.dates and "
                                   << "data.free_text: keep it in one");
  }
}

void check_free_text_allowance(const DataConfig& data, const PrivacyConfig& privacy) {
  for (const std::string& column : data.free_text) {
    if (contains(privacy.allow_free_text, column)) continue;
    GALIEN_USER_ERROR("column '" << column << "' is free text (data.free_text), which can hold "
                                 << "names, addresses and dates no rule removes: leave it out "
                                 << "(data.drop), or list it in privacy.allow_free_text with a "
                                 << "privacy.free_text_reason");
  }
  for (const std::string& column : privacy.allow_free_text) {
    if (!contains(data.free_text, column) && !contains(data.categorical, column))
      GALIEN_USER_ERROR("privacy.allow_free_text names '" << column << "', which is neither in "
                                                          << "data.free_text nor in "
                                                          << "data.categorical");
  }
  if (!privacy.allow_free_text.empty() && !privacy.free_text_reason) {
    GALIEN_USER_ERROR("privacy.allow_free_text is set without privacy.free_text_reason: write "
                      "why these columns may go into the shards");
  }
  check_reason(privacy.free_text_reason, "privacy.free_text_reason");
}

void check_rules(const std::vector<Generalisation>& rules, const DataConfig& data) {
  for (const Generalisation& rule : rules) {
    const bool date_column = contains(data.dates, rule.column);
    if (rule.column == data.patient_id_column) {
      GALIEN_USER_ERROR("privacy.generalise: '" << rule.text() << "' names the patient id "
                                                << "column, which is replaced by pseudonyms");
    }
    if (contains(data.drop, rule.column)) {
      GALIEN_USER_ERROR("privacy.generalise: '" << rule.text() << "' names a column of data.drop,"
                                                << " which is not released: remove the rule");
    }
    if (rule.is_date() && !date_column) {
      GALIEN_USER_ERROR("privacy.generalise: '" << rule.text() << "' needs '" << rule.column
                                                << "' in data.dates (ISO dates YYYY-MM-DD)");
    }
    if (!rule.is_date() && date_column) {
      GALIEN_USER_ERROR("privacy.generalise: '" << rule.text() << "': '" << rule.column
                                                << "' is a date column; use "
                                                << rule.column << "=month or =year");
    }
  }
}

void check_quasi_identifiers(const PrivacyConfig& privacy, const DataConfig& data) {
  std::set<std::string> seen;
  for (const std::string& column : privacy.quasi_identifiers) {
    if (!seen.insert(column).second)
      GALIEN_USER_ERROR("privacy.quasi_identifiers lists '" << column << "' twice");
    if (column == data.patient_id_column) {
      GALIEN_USER_ERROR("privacy.quasi_identifiers names the patient id column '" << column
                                                                                << "', which is "
                                                                                << "replaced by "
                                                                                << "pseudonyms: "
                                                                                << "remove it");
    }
  }
}

[[noreturn]] void bad_date(const std::string& source, std::int64_t line,
                           const std::string& column) {
  GALIEN_USER_ERROR(source << ":" << line << ": column '" << column << "' (data.dates): not an "
                           << "ISO date YYYY-MM-DD such as 2021-03-17 (the value is not shown: "
                           << "dates can identify); fix the cell, or leave it empty if unknown");
}

std::int64_t date_days(const std::string& cell, const std::string& source, std::int64_t line,
                       const std::string& column) {
  std::optional<std::int64_t> days = parse_iso_date(cell);
  if (!days) bad_date(source, line, column);
  return *days;
}

std::vector<std::string> trimmed_cells(const std::vector<std::string>& cells) {
  std::vector<std::string> out;
  out.reserve(cells.size());
  for (const std::string& cell : cells)
    out.emplace_back(is_missing_cell(cell) ? std::string_view() : trim_cell(cell));
  return out;
}

}  // namespace

PseudonymisationPolicy::PseudonymisationPolicy(const Config& config, const SecretKey& key)
    : data_(config.data),
      privacy_(config.privacy),
      shifter_(key, config.privacy.date_shift_days),
      rules_(parse_generalisations(config.privacy.generalise, "privacy.generalise")) {
  check_roles(data_);
  check_free_text_allowance(data_, privacy_);
  check_rules(rules_, data_);
  check_quasi_identifiers(privacy_, data_);
  check_reason(privacy_.override_k_reason, "privacy.override_k.reason");
}

std::vector<PolicyColumn> PseudonymisationPolicy::columns() const {
  std::vector<PolicyColumn> out;
  auto add = [&](const std::string& column, const std::string& key) {
    for (const PolicyColumn& c : out)
      if (c.name == column) return;
    out.push_back({column, key});
  };
  for (const std::string& c : privacy_.quasi_identifiers) add(c, "privacy.quasi_identifiers");
  for (const Generalisation& rule : rules_) add(rule.column, "privacy.generalise");
  for (const std::string& c : data_.dates) add(c, "data.dates");
  for (const std::string& c : data_.categorical) add(c, "data.categorical");
  return out;
}

std::optional<Generalisation> PseudonymisationPolicy::rule_for(const std::string& column) const {
  for (const Generalisation& rule : rules_)
    if (rule.column == column) return rule;
  return std::nullopt;
}

// The explicit rule, or privacy.dates: month/year for a date column without one.
std::optional<Generalisation> PseudonymisationPolicy::effective_rule(
    const std::string& column) const {
  if (std::optional<Generalisation> rule = rule_for(column)) return rule;
  if (!contains(data_.dates, column) || privacy_.dates == "shift") return std::nullopt;
  return parse_generalisation(column + "=" + privacy_.dates, "privacy.dates");
}

void PseudonymisationPolicy::apply(PolicyTable& table) {
  source_ = table.source;
  lines_ = table.lines;
  patients_ = table.patients;
  check_free_text(table);
  collect_quasi_identifiers(table);
  for (const Generalisation& rule : rules_) {
    std::vector<std::string>& cells = table.columns.at(rule.column);
    cells = generalise_column(rule, cells, table.lines, table.source);
  }
  convert_dates(table);
}

void PseudonymisationPolicy::check_free_text(const PolicyTable& table) const {
  for (const std::string& column : data_.categorical) {
    if (contains(privacy_.allow_free_text, column)) continue;
    const std::vector<std::string>& cells = table.columns.at(column);
    for (std::size_t r = 0; r < cells.size(); ++r) {
      if (!looks_like_free_text(cells[r])) continue;
      GALIEN_USER_ERROR(table.source << ":" << table.lines[r] << ": column '" << column
                                     << "' (data.categorical) holds free text (value not shown),"
                                     << " and its values would become feature names in "
                                     << "manifest.json: leave the column out (data.drop), or list"
                                     << " it in privacy.allow_free_text with a "
                                     << "privacy.free_text_reason");
    }
  }
}

// Quasi-identifiers as in the source (raw) and as released: generalised by their rule, dates
// at day granularity otherwise. A per-patient shift does not count as protection: intervals
// survive it and one known date gives away the offset for all of a patient's dates.
void PseudonymisationPolicy::collect_quasi_identifiers(const PolicyTable& table) {
  quasi_.clear();
  for (const std::string& column : privacy_.quasi_identifiers) {
    QuasiIdentifier q;
    q.column = column;
    q.raw = trimmed_cells(table.columns.at(column));
    q.withheld = contains(data_.drop, column);
    q.rule = effective_rule(column);
    if (q.rule) {
      q.released = generalise_column(*q.rule, q.raw, table.lines, table.source);
    } else if (contains(data_.dates, column)) {
      for (std::size_t r = 0; r < q.raw.size(); ++r) {
        q.released.push_back(q.raw[r].empty() ? "" : format_iso_date(date_days(
                                                         q.raw[r], source_, lines_[r], column)));
      }
    } else {
      q.released = q.raw;
    }
    quasi_.push_back(std::move(q));
  }
}

// Each date becomes days since 1970-01-01: the first day of its month or year under a
// generalisation, else the date moved by its patient's offset.
void PseudonymisationPolicy::convert_dates(PolicyTable& table) const {
  for (const std::string& column : data_.dates) {
    std::optional<Generalisation> rule = effective_rule(column);
    std::vector<std::string>& cells = table.columns.at(column);
    if (rule && !rule_for(column)) cells = generalise_column(*rule, cells, lines_, source_);
    for (std::size_t r = 0; r < cells.size(); ++r) {
      if (is_missing_cell(cells[r])) {
        cells[r].clear();
        continue;
      }
      std::int64_t days = date_days(cells[r], source_, lines_[r], column);
      if (!rule) days += shifter_.offset_days(patients_[r]);
      cells[r] = std::to_string(days);
    }
  }
}

void PseudonymisationPolicy::gate(const std::vector<std::int64_t>& kept_lines,
                                  const std::string& report_dir) {
  if (quasi_.empty()) {
    decision_ = "not assessed";
    log::info0("privacy: no privacy.quasi_identifiers: re-identification risk not assessed");
    return;
  }
  const std::unordered_set<std::int64_t> kept(kept_lines.begin(), kept_lines.end());
  std::vector<std::size_t> rows;
  std::vector<std::string> patients;
  for (std::size_t r = 0; r < lines_.size(); ++r) {
    if (kept.count(lines_[r]) == 0) continue;
    rows.push_back(r);
    patients.push_back(patients_[r]);
  }
  analysed_ = select_rows(quasi_, rows);
  analysis_ = analyse_quasi_identifiers(analysed_, patients, privacy_.k_min);
  if (analysis_->after.passes()) {
    decision_ = "passed";
    return;
  }
  if (privacy_.override_k_reason) {
    decision_ = "overridden";
    spdlog::warn("privacy: k = {} < k_min = {}, shards written under privacy.override_k: {}",
                 analysis_->after.k, privacy_.k_min, trimmed(privacy_.override_k_reason));
    return;
  }
  decision_ = "refused";
  Json refused = {{"status", "refused: no shard was written"},
                  {"source_file", std::filesystem::path(source_).filename().string()}};
  refused.update(report());
  write_privacy_reports(report_dir, refused);
  GALIEN_USER_ERROR(source_ << ": re-identification risk gate refused to write shards: "
                            << describe_gate_failure(analysed_, *analysis_)
                            << ". Or, to write them anyway, set privacy.override_k.reason. "
                            << "Figures: " << report_dir << "/privacy_report.md");
}

Json PseudonymisationPolicy::report() const {
  Json rules = Json::array();
  for (const Generalisation& rule : rules_) rules.push_back(rule.text());
  Json dates = {{"columns", data_.dates}, {"policy", privacy_.dates}};
  if (privacy_.dates == "shift") {
    const std::string range = "[-" + std::to_string(privacy_.date_shift_days) + ", " +
                              std::to_string(privacy_.date_shift_days) + "]";
    dates["max_shift_days"] = privacy_.date_shift_days;
    dates["shift"] = "per patient, uniform in " + range + " days, from HMAC-SHA256(key, "
                     "'galien date shift v1' || pseudonym): every date of a patient moves by "
                     "the same offset, in every table sharded with this key";
  }
  dates["feature"] = "days since 1970-01-01 (numeric feature); a column with a month/year "
                     "generalisation holds the first day of its period and is not shifted";
  Json risk = {{"quasi_identifiers", privacy_.quasi_identifiers},
               {"k_min", privacy_.k_min},
               {"decision", decision_}};
  Json applied = Json::array(), withheld = Json::array();
  for (const QuasiIdentifier& q : quasi_) {
    if (q.rule) applied.push_back(q.rule->text());
    if (q.withheld) withheld.push_back(q.column);
  }
  risk["generalisations"] = applied;
  risk["withheld_columns"] = withheld;
  if (analysis_) {
    risk["before"] = risk_json(analysis_->before);
    risk["after"] = risk_json(analysis_->after);
    if (analysis_->suggestion) risk["suggestion"] = suggestion_json(*analysis_->suggestion);
  }
  if (decision_ == "overridden") risk["override_reason"] = trimmed(privacy_.override_k_reason);
  risk["note"] = "class sizes count distinct patients; 'after' is the data as written (dates at "
                 "day granularity unless generalised: shifting is not counted as protection); "
                 "no quasi-identifier value is recorded here";
  Json free_text = {{"declared", data_.free_text}, {"allowed", privacy_.allow_free_text}};
  if (!privacy_.allow_free_text.empty())
    free_text["reason"] = trimmed(privacy_.free_text_reason);
  return {{"dates", dates},
          {"free_text", free_text},
          {"generalisations", rules},
          {"reidentification_risk", risk}};
}

Json PseudonymisationPolicy::gate_summary() const {
  Json summary = {{"decision", decision_}, {"k_min", privacy_.k_min}};
  if (analysis_) {
    summary["k_before"] = analysis_->before.k;
    summary["k_after"] = analysis_->after.k;
  }
  return summary;
}

}  // namespace galien
