#include "privacy/risk_gate.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "privacy/cell.h"

namespace galien {
namespace {

// Record r's key over the released (or raw) values of the columns kept in the analysis.
std::vector<std::string> record_keys(const std::vector<QuasiIdentifier>& quasi, bool released,
                                     std::size_t records) {
  std::vector<std::string> keys(records);
  std::vector<std::string> values;
  for (std::size_t r = 0; r < records; ++r) {
    values.clear();
    for (const QuasiIdentifier& q : quasi) {
      if (released && q.withheld) continue;
      values.push_back(released ? q.released[r] : q.raw[r]);
    }
    keys[r] = quasi_identifier_key(values);
  }
  return keys;
}

// A column's rules coarser than its current one, finest first.
std::vector<Generalisation> ladder(const QuasiIdentifier& q) {
  std::vector<Generalisation> rules;
  std::optional<Generalisation> rule = q.rule;
  while ((rule = coarser_generalisation(q.column, rule, q.raw))) rules.push_back(*rule);
  return rules;
}

// How far a step gets, compared in order: fewer records below k_min, lower mean risk, fewer
// classes, fewer distinct values left in the column (when every record is still unique, the
// step that merges most values is the one that later combinations build on).
struct Progress {
  std::int64_t below, classes, values;
  double risk;
  bool operator<(const Progress& o) const {
    return std::tie(below, risk, classes, values) < std::tie(o.below, o.risk, o.classes, o.values);
  }
};

// Suggests one rule. First choice: for each column the finest coarser rule that alone reaches
// k_min; among those, the one keeping the most classes (the least information lost). Otherwise
// the next step of some column that makes the most progress (see Progress), so that following
// the suggestions one at a time walks towards a release without jumping to the coarsest rule.
std::optional<Suggestion> suggest(std::vector<QuasiIdentifier> quasi,
                                  const std::vector<std::string>& patients, int k_min) {
  std::optional<Suggestion> reaching, step;
  std::int64_t reaching_classes = -1;
  Progress step_progress{};
  for (QuasiIdentifier& q : quasi) {
    if (q.withheld) continue;
    const std::vector<std::string> kept = q.released;
    bool first = true;
    for (const Generalisation& rule : ladder(q)) {
      q.released = generalise_column(rule, q.raw, {}, "");
      RiskFigures f = measure_risk(record_keys(quasi, true, patients.size()), patients, k_min);
      if (f.passes()) {
        if (f.classes > reaching_classes) reaching = Suggestion{rule, f.k, true};
        reaching_classes = std::max(reaching_classes, f.classes);
        break;
      }
      const Progress progress{f.records_below_k_min, f.classes,
                              static_cast<std::int64_t>(
                                  std::set<std::string>(q.released.begin(), q.released.end())
                                      .size()),
                              f.mean_risk};
      if (first && (!step || progress < step_progress)) {
        step = Suggestion{rule, f.k, false};
        step_progress = progress;
      }
      first = false;
    }
    q.released = kept;
  }
  return reaching ? reaching : step;
}

std::string column_list(const std::vector<QuasiIdentifier>& quasi) {
  std::string text;
  for (const QuasiIdentifier& q : quasi) text += (text.empty() ? "" : ", ") + q.column;
  return "[" + text + "]";
}

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * share);
  return text;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

}  // namespace

RiskAnalysis analyse_quasi_identifiers(const std::vector<QuasiIdentifier>& quasi,
                                       const std::vector<std::string>& patients, int k_min) {
  for (const QuasiIdentifier& q : quasi) {
    GALIEN_CHECK(q.raw.size() == patients.size() && q.released.size() == patients.size(),
                 "quasi-identifier '" << q.column << "' has a wrong number of records");
  }
  RiskAnalysis analysis;
  analysis.before = measure_risk(record_keys(quasi, false, patients.size()), patients, k_min);
  analysis.after = measure_risk(record_keys(quasi, true, patients.size()), patients, k_min);
  if (!analysis.after.passes()) analysis.suggestion = suggest(quasi, patients, k_min);
  return analysis;
}

std::vector<std::string> generalise_column(const Generalisation& rule,
                                           const std::vector<std::string>& raw,
                                           const std::vector<std::int64_t>& lines,
                                           const std::string& source) {
  std::vector<std::string> out;
  out.reserve(raw.size());
  for (std::size_t r = 0; r < raw.size(); ++r) {
    if (is_missing_cell(raw[r])) {
      out.emplace_back();
      continue;
    }
    std::optional<std::string> value = generalise_value(rule, raw[r]);
    if (!value) {
      const char* expected = rule.kind == Generalisation::Kind::kBands ? "a number"
                                                                       : "an ISO date YYYY-MM-DD";
      std::string where = source;
      if (r < lines.size()) where += ":" + std::to_string(lines[r]);
      GALIEN_USER_ERROR(where << ": column '" << rule.column << "': generalisation '"
                              << rule.text() << "' needs " << expected << " here (the value is "
                              << "not shown: it may identify someone); fix the cell or the rule");
    }
    out.push_back(std::move(*value));
  }
  return out;
}

std::vector<QuasiIdentifier> select_rows(const std::vector<QuasiIdentifier>& quasi,
                                         const std::vector<std::size_t>& rows) {
  std::vector<QuasiIdentifier> selected = quasi;
  for (std::size_t q = 0; q < quasi.size(); ++q) {
    selected[q].raw.clear();
    selected[q].released.clear();
    for (std::size_t r : rows) {
      selected[q].raw.push_back(quasi[q].raw[r]);
      selected[q].released.push_back(quasi[q].released[r]);
    }
  }
  return selected;
}

std::string describe_suggestion(const Suggestion& s, int k_min) {
  std::ostringstream out;
  out << "generalise further, e.g. with '" << s.rule.text() << "' in privacy.generalise (or "
      << "--generalise): k would be " << s.k;
  if (!s.reaches_k_min) out << ", still below k_min " << k_min << ": combine it with more";
  return out.str();
}

std::string describe_gate_failure(const std::vector<QuasiIdentifier>& quasi,
                                  const RiskAnalysis& analysis) {
  const RiskFigures& f = analysis.after;
  std::ostringstream out;
  out << "k = " << f.k << " on quasi-identifiers " << column_list(quasi) << " (k_min "
      << f.k_min << "): " << f.records_below_k_min << " of " << f.records << " records ("
      << percent(f.share_below_k_min) << ") are in classes of fewer than " << f.k_min
      << " patients; prosecutor risk max " << number(f.max_risk) << ", mean "
      << number(f.mean_risk) << ". ";
  if (analysis.suggestion) {
    out << "To lower the risk, " << describe_suggestion(*analysis.suggestion, f.k_min);
  } else {
    out << "No further generalisation applies to these columns: leave a quasi-identifier out "
        << "of the release (data.drop)";
  }
  return out.str();
}

nlohmann::ordered_json suggestion_json(const Suggestion& s) {
  return {{"add_generalisation", s.rule.text()}, {"k", s.k}, {"reaches_k_min", s.reaches_k_min}};
}

}  // namespace galien
