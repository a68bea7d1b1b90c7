#include "datasets/tabular.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "core/error.h"

namespace galien {
namespace {

// kDate columns arrive as days since 1970 (privacy policy, datasets/privacy_step) and encode
// like numbers; allowed kFreeText columns encode like categories.
enum class Role {
  kUnassigned, kPatientId, kLabel, kNumeric, kCategorical, kDrop, kDate, kFreeText
};

bool encodes_as_number(Role role) { return role == Role::kNumeric || role == Role::kDate; }
bool encodes_as_category(Role role) {
  return role == Role::kCategorical || role == Role::kFreeText;
}

constexpr const char* kMissingCategory = "<missing>";

const char* config_key(Role role) {
  switch (role) {
    case Role::kPatientId:
      return "data.patient_id";
    case Role::kLabel:
      return "data.label";
    case Role::kNumeric:
      return "data.numeric";
    case Role::kCategorical:
      return "data.categorical";
    case Role::kDrop:
      return "data.drop";
    case Role::kDate:
      return "data.dates";
    case Role::kFreeText:
      return "data.free_text";
    case Role::kUnassigned:
      break;
  }
  return "(none)";
}

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_missing(std::string_view value) {
  value = trim(value);
  return value.empty() || value == "NA" || value == "NaN" || value == "null";
}

// Case-insensitive Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      current[j] =
          std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string suggestion(const std::string& name, const std::vector<std::string>& header) {
  const std::string* best = nullptr;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string& column : header) {
    std::size_t d = edit_distance(name, column);
    if (d < best_distance) best_distance = d, best = &column;
  }
  if (best != nullptr && best_distance <= std::max<std::size_t>(2, name.size() / 3)) {
    return "; did you mean '" + *best + "'?";
  }
  return "; check the header row of the file";
}

// Which role each CSV column plays. Every column must have exactly one.
class RoleTable {
 public:
  explicit RoleTable(const CsvTable& csv)
      : csv_(csv), roles_(csv.header.size(), Role::kUnassigned) {}

  void assign(const std::string& column, Role role) {
    int index = csv_.column_index(column);
    if (index < 0) {
      GALIEN_USER_ERROR(config_key(role) << " names column '" << column << "', which is not in "
                                         << csv_.path << suggestion(column, csv_.header));
    }
    Role& current = roles_[static_cast<std::size_t>(index)];
    if (current != Role::kUnassigned) {
      GALIEN_USER_ERROR("column '" << column << "' of " << csv_.path << " is named in both "
                                   << config_key(current) << " and " << config_key(role)
                                   << ": keep it in one");
    }
    current = role;
  }

  void assign_rest(Role role) {
    for (Role& r : roles_) {
      if (r == Role::kUnassigned) r = role;
    }
  }

  void require_all_assigned() const {
    std::string missing;
    for (std::size_t i = 0; i < roles_.size(); ++i) {
      if (roles_[i] != Role::kUnassigned) continue;
      missing += (missing.empty() ? "'" : ", '") + csv_.header[i] + "'";
    }
    if (!missing.empty()) {
      GALIEN_USER_ERROR(csv_.path << ": columns not accounted for by the config: " << missing
                                  << ". Add each to data.drop (identifiers, unused columns) or to "
                                  << "data.numeric / data.categorical; galien never drops a column"
                                  << " silently");
    }
  }

  Role operator[](std::size_t column) const { return roles_[column]; }
  std::size_t size() const { return roles_.size(); }

 private:
  const CsvTable& csv_;
  std::vector<Role> roles_;
};

RoleTable assign_roles(const CsvTable& csv, const DataConfig& config) {
  RoleTable roles(csv);
  if (config.label_column.empty()) {
    GALIEN_USER_ERROR("data.label is not set: name the label column");
  }
  if (config.patient_id_column) roles.assign(*config.patient_id_column, Role::kPatientId);
  roles.assign(config.label_column, Role::kLabel);
  bool all_numeric = false;
  for (const std::string& column : config.numeric) {
    if (column == "*") {
      all_numeric = true;
    } else {
      roles.assign(column, Role::kNumeric);
    }
  }
  for (const std::string& column : config.categorical) roles.assign(column, Role::kCategorical);
  for (const std::string& column : config.drop) roles.assign(column, Role::kDrop);
  for (const std::string& column : config.dates) roles.assign(column, Role::kDate);
  for (const std::string& column : config.free_text) roles.assign(column, Role::kFreeText);
  if (all_numeric) roles.assign_rest(Role::kNumeric);
  roles.require_all_assigned();
  return roles;
}

std::string quoted_value(std::string_view value) {
  constexpr std::size_t kMaxShown = 40;
  std::string shown(value.substr(0, kMaxShown));
  return "'" + shown + (value.size() > kMaxShown ? "...'" : "'");
}

double parse_number(std::string_view text, const CsvTable& csv, std::int64_t line,
                    const std::string& column) {
  std::string_view value = trim(text);
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);  // from_chars refuses '+'
  double number = 0.0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    GALIEN_USER_ERROR(csv.path << ":" << line << ": column '" << column
                               << "': the value is not a number (it is not quoted here: a misplaced "
                               << "cell can hold identifying text)");
  }
  if (!std::isfinite(number)) {
    GALIEN_USER_ERROR(csv.path << ":" << line << ": column '" << column << "': "
                               << quoted_value(value) << " is not a finite number (write a missing"
                               << " value as an empty field, NA, NaN or null)");
  }
  return number;
}

// Applies data.missing to one row: returns false when the row is to be left out (drop_row),
// throws for `error` and for values that can never be imputed (patient id, label).
bool accept_row(const CsvTable& csv, const CsvRow& row, const RoleTable& roles,
                const std::string& missing) {
  for (std::size_t c = 0; c < roles.size(); ++c) {
    Role role = roles[c];
    if (role == Role::kDrop || !is_missing(row.fields[c])) continue;
    if (missing == "drop_row") return false;
    const std::string& column = csv.header[c];
    if (role == Role::kLabel || role == Role::kPatientId) {
      GALIEN_USER_ERROR(csv.path << ":" << row.line << ": missing "
                                 << (role == Role::kLabel ? "label" : "patient id")
                                 << " in column '" << column << "' (fill it in, or set "
                                 << "data.missing: drop_row to leave such rows out)");
    }
    if (missing == "error") {
      GALIEN_USER_ERROR(csv.path << ":" << row.line << ": missing value in column '" << column
                                 << "' (set data.missing: drop_row or impute)");
    }
  }
  return true;
}

std::vector<std::string> make_classes(const CsvTable& csv, const std::vector<const CsvRow*>& rows,
                                      int label_index, const DataConfig& config) {
  std::set<std::string> unique;
  for (const std::string& value : config.classes) {
    if (!unique.insert(value).second) {
      GALIEN_USER_ERROR("data.classes lists '" << value << "' twice: list each label once");
    }
  }
  if (!config.classes.empty()) return config.classes;
  for (const CsvRow* row : rows) unique.insert(std::string(trim(row->fields[label_index])));
  if (unique.size() < 2) {
    GALIEN_USER_ERROR(csv.path << ": column '" << config.label_column << "' has " << unique.size()
                               << " distinct value(s); a classifier needs at"
                               << " least two classes");
  }
  return {unique.begin(), unique.end()};
}

std::int64_t class_index(const std::vector<std::string>& classes, std::string_view value,
                         const CsvTable& csv, std::int64_t line, const std::string& column) {
  auto it = std::find(classes.begin(), classes.end(), value);
  if (it == classes.end()) {
    std::string listed;
    for (const std::string& c : classes) listed += (listed.empty() ? "'" : ", '") + c + "'";
    GALIEN_USER_ERROR(csv.path << ":" << line << ": label " << quoted_value(value) << " in column '"
                               << column << "' is not one of data.classes [" << listed
                               << "]: add it to data.classes or fix the row");
  }
  return it - classes.begin();
}

std::string category_of(std::string_view field) {
  return is_missing(field) ? kMissingCategory : std::string(trim(field));
}

// Sorted categories per categorical column, over the kept rows.
std::map<std::size_t, std::vector<std::string>> collect_categories(
    const RoleTable& roles, const std::vector<const CsvRow*>& rows) {
  std::map<std::size_t, std::vector<std::string>> categories;
  for (std::size_t c = 0; c < roles.size(); ++c) {
    if (!encodes_as_category(roles[c])) continue;
    std::set<std::string> unique;
    for (const CsvRow* row : rows) unique.insert(category_of(row->fields[c]));
    categories[c].assign(unique.begin(), unique.end());
  }
  return categories;
}

// Feature columns in CSV order; a categorical column expands to one feature per category.
std::vector<FeatureInfo> make_features(
    const CsvTable& csv, const RoleTable& roles,
    const std::map<std::size_t, std::vector<std::string>>& categories) {
  std::vector<FeatureInfo> features;
  for (std::size_t c = 0; c < roles.size(); ++c) {
    const std::string& column = csv.header[c];
    if (encodes_as_number(roles[c])) features.push_back({column, "numeric", column, 0.0, 1.0});
    if (!encodes_as_category(roles[c])) continue;
    for (const std::string& value : categories.at(c)) {
      features.push_back({column + "=" + value, "onehot", column, 0.0, 1.0});
    }
  }
  if (features.empty()) {
    GALIEN_USER_ERROR(csv.path << ": no feature columns: name some in data.numeric or "
                               << "data.categorical");
  }
  return features;
}

void append_features(const CsvTable& csv, const CsvRow& row, const RoleTable& roles,
                     const std::map<std::size_t, std::vector<std::string>>& categories,
                     std::vector<double>& values) {
  for (std::size_t c = 0; c < roles.size(); ++c) {
    const std::string& field = row.fields[c];
    if (encodes_as_number(roles[c])) {
      values.push_back(is_missing(field) ? std::numeric_limits<double>::quiet_NaN()
                                         : parse_number(field, csv, row.line, csv.header[c]));
    } else if (encodes_as_category(roles[c])) {
      std::string category = category_of(field);
      for (const std::string& value : categories.at(c)) values.push_back(value == category);
    }
  }
}

void check_missing_policy(const std::string& missing) {
  if (missing != "error" && missing != "drop_row" && missing != "impute") {
    GALIEN_USER_ERROR("data.missing is '" << missing << "': use error, drop_row or impute");
  }
}

}  // namespace

EncodedTable encode_table(const CsvTable& csv, const DataConfig& config) {
  check_missing_policy(config.missing);
  RoleTable roles = assign_roles(csv, config);
  EncodedTable table;
  table.source = csv.path;
  table.source_rows = static_cast<std::int64_t>(csv.rows.size());
  std::vector<const CsvRow*> kept;
  for (const CsvRow& row : csv.rows) {
    if (accept_row(csv, row, roles, config.missing)) {
      kept.push_back(&row);
    } else {
      ++table.rejected_rows["missing value"];
    }
  }
  if (kept.empty()) GALIEN_USER_ERROR(csv.path << ": no data rows left to shard");
  int label_index = csv.column_index(config.label_column);
  int id_index = config.patient_id_column ? csv.column_index(*config.patient_id_column) : -1;
  table.classes = make_classes(csv, kept, label_index, config);
  auto categories = collect_categories(roles, kept);
  table.features = make_features(csv, roles, categories);
  for (std::size_t c = 0; c < roles.size(); ++c) {
    if (roles[c] == Role::kDrop) table.dropped_columns.push_back(csv.header[c]);
  }
  for (const CsvRow* row : kept) {
    table.lines.push_back(row->line);
    table.labels.push_back(class_index(table.classes, trim(row->fields[label_index]), csv,
                                       row->line, config.label_column));
    table.patient_keys.push_back(id_index >= 0 ? std::string(trim(row->fields[id_index]))
                                               : "row:" + std::to_string(row->line));
    append_features(csv, *row, roles, categories, table.values);
  }
  return table;
}

namespace {

// Mean and population standard deviation of column `f` over `rows`, skipping NaN.
std::pair<double, double> train_statistics(const EncodedTable& table, std::size_t f,
                                           const std::vector<std::int64_t>& rows) {
  const std::size_t width = table.num_features();
  double sum = 0.0;
  std::int64_t count = 0;
  for (std::int64_t r : rows) {
    double v = table.values[static_cast<std::size_t>(r) * width + f];
    if (!std::isnan(v)) sum += v, ++count;
  }
  if (count == 0) {
    GALIEN_USER_ERROR(table.source << ": column '" << table.features[f].source
                                   << "' has no value in the train split to impute from: fill"
                                   << " some values in, or drop the column (data.drop)");
  }
  double mean = sum / static_cast<double>(count);
  double squares = 0.0;  // imputed values equal the mean, so they add nothing here
  for (std::int64_t r : rows) {
    double v = table.values[static_cast<std::size_t>(r) * width + f];
    if (!std::isnan(v)) squares += (v - mean) * (v - mean);
  }
  double std = std::sqrt(squares / static_cast<double>(rows.size()));
  // A constant column can leave a rounding-size std: treat it as 0 so it maps to 0, not noise.
  bool constant = std <= 1e-12 * std::max(1.0, std::abs(mean));
  return {mean, constant ? 1.0 : std};
}

}  // namespace

void standardise_features(EncodedTable& table, const std::vector<std::int64_t>& train_rows) {
  GALIEN_CHECK(!train_rows.empty(), "standardisation needs train rows");
  const std::size_t width = table.num_features();
  for (std::size_t f = 0; f < width; ++f) {
    FeatureInfo& feature = table.features[f];
    if (feature.kind != "numeric") continue;
    auto [mean, std] = train_statistics(table, f, train_rows);
    feature.mean = mean;
    feature.std = std;
    for (std::size_t r = 0; r < table.num_rows(); ++r) {
      double& v = table.values[r * width + f];
      v = std::isnan(v) ? 0.0 : (v - mean) / std;
    }
  }
}

}  // namespace galien
