#include "privacy/generalise.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/error.h"
#include "privacy/cell.h"
#include "privacy/dates.h"

namespace galien {
namespace {

constexpr int kBandLadder[] = {5, 10, 20, 50, 100};

std::optional<double> parse_number(std::string_view text) {
  text = trim_cell(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<int> parse_count(std::string_view text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < 1 || value > max) return std::nullopt;
  return value;
}

std::optional<Generalisation> parse_rule(std::string_view rule) {
  Generalisation g;
  if (rule == "month" || rule == "year") {
    g.kind = rule == "month" ? Generalisation::Kind::kMonth : Generalisation::Kind::kYear;
    return g;
  }
  const std::size_t colon = rule.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = rule.substr(0, colon), value = rule.substr(colon + 1);
  std::optional<int> count;
  if (name == "bands") {
    g.kind = Generalisation::Kind::kBands;
    count = parse_count(value, 1000000000);
  } else if (name == "digits") {
    g.kind = Generalisation::Kind::kDigits;
    count = parse_count(value, 64);
  }
  if (!count) return std::nullopt;
  g.parameter = *count;
  return g;
}

std::string band_of(double value, int width) {
  const double low = std::floor(value / width) * width + 0.0;  // + 0.0 turns -0 into 0
  char text[64];
  std::snprintf(text, sizeof text, "%.0f", low);
  return text;
}

// Predicates over a column's non-missing values; false for a column with none.
template <class Predicate>
bool all_present(const std::vector<std::string>& values, Predicate predicate) {
  bool any = false;
  for (const std::string& value : values) {
    if (is_missing_cell(value)) continue;
    if (!predicate(trim_cell(value))) return false;
    any = true;
  }
  return any;
}

// Codes such as postcodes: one length of 4+ characters, no spaces. Checked before numbers so that
// 5-digit postcodes get digits:N rather than numeric bands.
std::optional<std::size_t> code_length(const std::vector<std::string>& values) {
  std::optional<std::size_t> length;
  bool same = all_present(values, [&](std::string_view v) {
    if (v.find(' ') != std::string_view::npos) return false;
    if (!length) length = v.size();
    return v.size() == *length;
  });
  if (!same || !length || *length < 4) return std::nullopt;
  return length;
}

Generalisation rule_for(const std::string& column, Generalisation::Kind kind, int parameter) {
  Generalisation g;
  g.column = column;
  g.kind = kind;
  g.parameter = parameter;
  return g;
}

}  // namespace

std::string Generalisation::text() const {
  switch (kind) {
    case Kind::kBands: return column + "=bands:" + std::to_string(parameter);
    case Kind::kDigits: return column + "=digits:" + std::to_string(parameter);
    case Kind::kMonth: return column + "=month";
    case Kind::kYear: return column + "=year";
  }
  return column;
}

Generalisation parse_generalisation(std::string_view spec, const std::string& where) {
  const std::size_t equals = spec.find('=');
  std::optional<Generalisation> rule;
  std::string_view column;
  if (equals != std::string_view::npos) {
    column = trim_cell(spec.substr(0, equals));
    rule = parse_rule(trim_cell(spec.substr(equals + 1)));
  }
  if (!rule || column.empty()) {
    GALIEN_USER_ERROR(where << ": '" << spec << "' is not a generalisation; write COLUMN=RULE "
                            << "with RULE bands:WIDTH (numbers), digits:N (codes such as "
                            << "postcodes), month or year (ISO dates), e.g. age=bands:10");
  }
  rule->column = std::string(column);
  return *rule;
}

std::vector<Generalisation> parse_generalisations(const std::vector<std::string>& specs,
                                                  const std::string& where) {
  std::vector<Generalisation> rules;
  std::set<std::string> columns;
  for (const std::string& spec : specs) {
    rules.push_back(parse_generalisation(spec, where));
    if (!columns.insert(rules.back().column).second) {
      GALIEN_USER_ERROR(where << ": column '" << rules.back().column << "' has two rules: keep "
                              << "one");
    }
  }
  return rules;
}

std::vector<std::string> split_comma_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = trim_cell(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::optional<std::string> generalise_value(const Generalisation& rule, std::string_view value) {
  value = trim_cell(value);
  switch (rule.kind) {
    case Generalisation::Kind::kBands: {
      std::optional<double> number = parse_number(value);
      if (!number) return std::nullopt;
      return band_of(*number, rule.parameter);
    }
    case Generalisation::Kind::kDigits:
      return std::string(value.substr(0, static_cast<std::size_t>(rule.parameter)));
    case Generalisation::Kind::kMonth:
    case Generalisation::Kind::kYear: {
      std::optional<std::int64_t> days = parse_iso_date(value);
      if (!days) return std::nullopt;
      return format_iso_date(rule.kind == Generalisation::Kind::kMonth ? month_start(*days)
                                                                       : year_start(*days));
    }
  }
  return std::nullopt;
}

std::optional<Generalisation> coarser_generalisation(const std::string& column,
                                                     const std::optional<Generalisation>& current,
                                                     const std::vector<std::string>& values) {
  using Kind = Generalisation::Kind;
  const Kind kind = current ? current->kind : Kind::kBands;
  const int parameter = current ? current->parameter : 0;
  if (all_present(values, [](std::string_view v) { return parse_iso_date(v).has_value(); })) {
    if (!current) return rule_for(column, Kind::kMonth, 0);
    if (kind == Kind::kMonth) return rule_for(column, Kind::kYear, 0);
    return std::nullopt;
  }
  if (std::optional<std::size_t> length = code_length(values)) {
    const int kept = current && kind == Kind::kDigits ? parameter : static_cast<int>(*length);
    if (current && kind != Kind::kDigits) return std::nullopt;
    if (kept <= 1) return std::nullopt;
    return rule_for(column, Kind::kDigits, kept - 1);
  }
  if (all_present(values, [](std::string_view v) { return parse_number(v).has_value(); })) {
    if (current && kind != Kind::kBands) return std::nullopt;
    for (int width : kBandLadder)
      if (width > parameter) return rule_for(column, Kind::kBands, width);
  }
  return std::nullopt;
}

}  // namespace galien
