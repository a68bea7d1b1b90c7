#include "datasets/tabular.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

#include "core/error.h"
#include "datasets/feature_transforms.h"

namespace galien {
namespace {

// kDate columns arrive as days since 1970 (privacy policy, datasets/privacy_step) and encode
// like numbers; allowed kFreeText columns encode like categories.
enum class Role {
  kUnassigned, kPatientId, kLabel, kTime, kEvent, kNumeric, kCategorical, kDrop, kDate, kFreeText,
  kImageKey  // data.images.join_column: names the row's image; read, never a feature
};

// Columns that are the target, never a feature: a missing cell is never imputed.
bool is_target(Role role) {
  return role == Role::kLabel || role == Role::kTime || role == Role::kEvent;
}

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
    case Role::kTime:
      return "data.time";
    case Role::kEvent:
      return "data.event";
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
    case Role::kImageKey:
      return "data.images.join_column";
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

bool is_survival(const DataConfig& config) { return config.task == "survival"; }
bool is_regression(const DataConfig& config) { return config.task == "regression"; }

// The target keys data.task needs, and none that it would ignore.
// Whether the raw cell `value` is one of `codes`: the same text, or the same number ("2.0" is 2).
bool is_code(std::string_view value, const std::vector<std::string>& codes) {
  double number = 0.0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  const bool numeric = error == std::errc() && end == value.data() + value.size();
  for (const std::string& code : codes) {
    if (trim(code) == value) return true;
    double code_number = 0.0;
    const std::string_view c = trim(code);
    auto [code_end, code_error] = std::from_chars(c.data(), c.data() + c.size(), code_number);
    if (numeric && code_error == std::errc() && code_end == c.data() + c.size() &&
        code_number == number)
      return true;
  }
  return false;
}

std::string codes_text(const std::vector<std::string>& codes) {
  std::string text;
  for (const std::string& code : codes) text += (text.empty() ? "" : ", ") + code;
  return "[" + text + "]";
}

void check_task_keys(const DataConfig& config) {
  const std::string& task = config.task;
  if (task == "segmentation") {
    GALIEN_USER_ERROR("data.task is segmentation, which reads images and their label masks, not "
                      << "a table: set data.images.format: nifti and data.images.path to a "
                      << "folder with imagesTr/ and labelsTr/ (docs/imaging.md, \"Segmentation "
                      << "datasets\")");
  }
  if (task != "classification" && task != "survival" && task != "regression") {
    GALIEN_USER_ERROR("data.task is '" << task << "': use classification, survival or regression");
  }
  if (is_survival(config)) {
    if (!config.label_column.empty()) {
      GALIEN_USER_ERROR("data.label is '" << config.label_column << "' but data.task is survival,"
                        << " whose target is data.time + data.event (the split stratifies on the"
                        << " event): remove data.label, and list that column in data.drop or"
                        << " data.numeric");
    }
    if (config.time_column.empty() || config.event_column.empty()) {
      GALIEN_USER_ERROR("data.task is survival: set data.time (time column, a number >= 0) and "
                        << "data.event (event column, 1 = event, 0 = censored)");
    }
    if (config.event_values.empty() || config.censored_values.empty())
      GALIEN_USER_ERROR("data.event_values and data.censored_values must each name at least one "
                        "raw value of data.event");
    for (const std::string& code : config.event_values) {
      if (is_code(trim(code), config.censored_values)) {
        GALIEN_USER_ERROR("data.event_values and data.censored_values both hold " << code
                          << ": a raw value means either the event or censoring");
      }
    }
  } else {
    if (config.event_values != std::vector<std::string>{"1"} ||
        config.censored_values != std::vector<std::string>{"0"})
      GALIEN_USER_ERROR("data.event_values and data.censored_values are for data.task: survival, "
                        "but data.task is " << task << ": remove them");
    if (config.label_column.empty()) {
      GALIEN_USER_ERROR("data.label is not set: name the "
                        << (is_regression(config) ? "numeric target column" : "label column"));
    }
    if (!config.time_column.empty() || !config.event_column.empty()) {
      GALIEN_USER_ERROR("data.time and data.event are for data.task: survival, but data.task is "
                        << task << ": remove them, or set data.task: survival");
    }
  }
  if (task != "classification" && !config.classes.empty()) {
    GALIEN_USER_ERROR("data.classes is set but data.task is " << task << ", which has no "
                      << "classes: remove data.classes");
  }
}

RoleTable assign_roles(const CsvTable& csv, const DataConfig& config) {
  check_task_keys(config);
  RoleTable roles(csv);
  if (config.patient_id_column) roles.assign(*config.patient_id_column, Role::kPatientId);
  if (!config.image_join_column.empty()) roles.assign(config.image_join_column, Role::kImageKey);
  if (!config.label_column.empty()) roles.assign(config.label_column, Role::kLabel);
  if (!config.time_column.empty()) roles.assign(config.time_column, Role::kTime);
  if (!config.event_column.empty()) roles.assign(config.event_column, Role::kEvent);
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

const char* target_name(Role role, const std::string& task) {
  if (role == Role::kTime) return "survival time";
  if (role == Role::kEvent) return "event";
  if (role == Role::kPatientId) return "patient id";
  if (role == Role::kImageKey) return "image name (data.images.join_column)";
  return task == "regression" ? "target" : "label";
}

// Applies data.missing to one row: returns false when the row is to be left out (drop_row),
// throws for `error` and for values that can never be imputed (patient id, label, target, time,
// event).
bool accept_row(const CsvTable& csv, const CsvRow& row, const RoleTable& roles,
                const DataConfig& config) {
  const std::string& missing = config.missing;
  for (std::size_t c = 0; c < roles.size(); ++c) {
    Role role = roles[c];
    if (role == Role::kDrop || !is_missing(row.fields[c])) continue;
    if (missing == "drop_row") return false;
    const std::string& column = csv.header[c];
    if (is_target(role) || role == Role::kPatientId || role == Role::kImageKey) {
      GALIEN_USER_ERROR(csv.path << ":" << row.line << ": missing " << target_name(role, config.task)
                                 << " in column '" << column << "' (fill it in, or set "
                                 << "data.missing: drop_row to leave such rows out; "
                                 << target_name(role, config.task) << "s are never imputed)");
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
  // Survival stratifies on the event; regression has one class (nothing to stratify on).
  if (is_survival(config)) return {"censored", "event"};
  if (is_regression(config)) return {"all"};
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

// The main table's categories, by this table's column indices.
std::map<std::size_t, std::vector<std::string>> categories_like(
    const CsvTable& csv, const RoleTable& roles, const EncodedTable& main) {
  std::map<std::size_t, std::vector<std::string>> categories;
  for (std::size_t c = 0; c < roles.size(); ++c) {
    if (encodes_as_category(roles[c])) categories[c] = main.categories.at(csv.header[c]);
  }
  return categories;
}

// data.transforms, each naming a numeric feature column of `csv`.
std::map<std::string, FeatureTransform> checked_transforms(const CsvTable& csv,
                                                           const RoleTable& roles,
                                                           const DataConfig& config) {
  std::map<std::string, FeatureTransform> transforms = parse_feature_transforms(config.transforms);
  for (const auto& [column, transform] : transforms) {
    const int index = csv.column_index(column);
    if (index < 0) {
      GALIEN_USER_ERROR("data.transforms names column '" << column << "', which is not in "
                        << csv.path << suggestion(column, csv.header));
    }
    if (!encodes_as_number(roles[static_cast<std::size_t>(index)])) {
      GALIEN_USER_ERROR("data.transforms: column '" << column << "' of " << csv.path << " is not "
                        << "a numeric feature (data.numeric): transforms apply to numeric features "
                        << "only");
    }
  }
  return transforms;
}

// Feature columns in CSV order; a categorical column expands to one feature per category.
std::vector<FeatureInfo> make_features(
    const CsvTable& csv, const RoleTable& roles,
    const std::map<std::size_t, std::vector<std::string>>& categories,
    const std::map<std::string, FeatureTransform>& transforms) {
  std::vector<FeatureInfo> features;
  for (std::size_t c = 0; c < roles.size(); ++c) {
    const std::string& column = csv.header[c];
    if (encodes_as_number(roles[c])) {
      auto t = transforms.find(column);
      features.push_back({column, "numeric", column, 0.0, 1.0,
                          t == transforms.end() ? "" : t->second.text});
    }
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

// `main_source`: for the test table, the main table's path; a category it lacks has no feature.
void append_features(const CsvTable& csv, const CsvRow& row, const RoleTable& roles,
                     const std::map<std::size_t, std::vector<std::string>>& categories,
                     const std::map<std::string, FeatureTransform>& transforms,
                     std::vector<double>& values, const std::string& main_source = "") {
  for (std::size_t c = 0; c < roles.size(); ++c) {
    const std::string& field = row.fields[c];
    if (encodes_as_number(roles[c])) {
      if (is_missing(field)) {
        values.push_back(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      double value = parse_number(field, csv, row.line, csv.header[c]);
      auto t = transforms.find(csv.header[c]);
      if (t != transforms.end()) {
        const std::optional<double> transformed = t->second.apply(value);
        if (!transformed) {
          GALIEN_USER_ERROR(csv.path << ":" << row.line << ": column '" << csv.header[c]
                                     << "' (data.transforms: " << csv.header[c] << "="
                                     << t->second.text << "): a value outside the transform's "
                                     << "domain (" << t->second.domain() << "; value not shown): "
                                     << "fix the cell, choose log1p or clip, or leave it missing");
        }
        value = *transformed;
      }
      values.push_back(value);
    } else if (encodes_as_category(roles[c])) {
      std::string category = category_of(field);
      const std::vector<std::string>& known = categories.at(c);
      if (std::find(known.begin(), known.end(), category) == known.end()) {
        GALIEN_USER_ERROR(csv.path << ":" << row.line << ": column '" << csv.header[c]
                                   << "': a category that " << main_source << " does not have "
                                   << "(value not shown; an empty cell is the category "
                                   << kMissingCategory << "), so it has no one-hot feature: fix "
                                   << "the cell, or merge it into a category of " << main_source);
      }
      for (const std::string& value : known) values.push_back(value == category);
    }
  }
}

// Survival time and event of one row: a time must be a finite number >= 0; the event's raw value
// must be one of data.event_values (-> 1) or data.censored_values (-> 0).
void append_survival(const CsvTable& csv, const CsvRow& row, int time_index, int event_index,
                     const DataConfig& config, EncodedTable& table) {
  const std::string& time_column = csv.header[static_cast<std::size_t>(time_index)];
  double time = parse_number(row.fields[static_cast<std::size_t>(time_index)], csv, row.line,
                             time_column);
  if (time < 0) {
    GALIEN_USER_ERROR(csv.path << ":" << row.line << ": column '" << time_column
                               << "' (data.time): a negative survival time; times must be >= 0"
                               << " (time from the origin to the event or censoring): fix the "
                               << "cell or leave the row out");
  }
  const std::string& event_column = csv.header[static_cast<std::size_t>(event_index)];
  const std::string_view raw = trim(row.fields[static_cast<std::size_t>(event_index)]);
  const bool event = is_code(raw, config.event_values);
  if (!event && !is_code(raw, config.censored_values)) {
    GALIEN_USER_ERROR(csv.path << ":" << row.line << ": column '" << event_column
                               << "' (data.event): a value that is in neither data.event_values "
                               << codes_text(config.event_values) << " nor data.censored_values "
                               << codes_text(config.censored_values) << " (value not shown): add "
                               << "it to the list it belongs to (R's survival coding: "
                               << "event_values: [2], censored_values: [1]), or fix the cell");
  }
  table.time.push_back(time);
  table.event.push_back(event ? 1 : 0);
}

// What encode_table and encode_test_table share once the classes and categories are known.
struct Encoding {
  const RoleTable& roles;
  const std::map<std::size_t, std::vector<std::string>>& categories;
  const std::map<std::string, FeatureTransform>& transforms;
  std::string main_source;  // test table: the main table's path, for messages
  std::string key_namespace;
};

void encode_rows(const CsvTable& csv, const DataConfig& config,
                 const std::vector<const CsvRow*>& kept, const Encoding& e,
                 EncodedTable& table) {
  const int label_index = config.label_column.empty() ? -1 : csv.column_index(config.label_column);
  const int id_index = config.patient_id_column ? csv.column_index(*config.patient_id_column) : -1;
  const int time_index = is_survival(config) ? csv.column_index(config.time_column) : -1;
  const int event_index = is_survival(config) ? csv.column_index(config.event_column) : -1;
  const int image_index =
      config.image_join_column.empty() ? -1 : csv.column_index(config.image_join_column);
  for (const CsvRow* row : kept) {
    table.lines.push_back(row->line);
    if (is_survival(config)) {
      append_survival(csv, *row, time_index, event_index, config, table);
      table.labels.push_back(table.event.back());
    } else if (is_regression(config)) {
      table.target.push_back(parse_number(row->fields[static_cast<std::size_t>(label_index)], csv,
                                          row->line, config.label_column));
      table.labels.push_back(0);
    } else {
      table.labels.push_back(class_index(table.classes,
                                         trim(row->fields[static_cast<std::size_t>(label_index)]),
                                         csv, row->line, config.label_column));
    }
    table.patient_keys.push_back(
        e.key_namespace + (id_index >= 0 ? std::string(trim(row->fields[id_index]))
                                         : "row:" + std::to_string(row->line)));
    if (image_index >= 0)
      table.image_keys.emplace_back(trim(row->fields[static_cast<std::size_t>(image_index)]));
    append_features(csv, *row, e.roles, e.categories, e.transforms, table.values, e.main_source);
  }
}

// Rows kept under data.missing; the others are counted in table.rejected_rows.
std::vector<const CsvRow*> kept_rows(const CsvTable& csv, const RoleTable& roles,
                                     const DataConfig& config, EncodedTable& table) {
  table.source = csv.path;
  table.source_rows = static_cast<std::int64_t>(csv.rows.size());
  std::vector<const CsvRow*> kept;
  for (const CsvRow& row : csv.rows) {
    if (accept_row(csv, row, roles, config)) {
      kept.push_back(&row);
    } else {
      ++table.rejected_rows["missing value"];
    }
  }
  if (kept.empty()) GALIEN_USER_ERROR(csv.path << ": no data rows left to shard");
  return kept;
}

// The test table must have the main table's columns (in any order): a column only one of them
// has would be a feature, or a role, that the other cannot fill.
void check_same_columns(const CsvTable& csv, const EncodedTable& main) {
  const std::vector<std::string>& main_header = main.header;
  std::set<std::string> mine(csv.header.begin(), csv.header.end());
  std::set<std::string> theirs(main_header.begin(), main_header.end());
  std::string missing, extra;
  for (const std::string& c : theirs)
    if (!mine.count(c)) missing += (missing.empty() ? "'" : ", '") + c + "'";
  for (const std::string& c : mine)
    if (!theirs.count(c)) extra += (extra.empty() ? "'" : ", '") + c + "'";
  if (missing.empty() && extra.empty()) return;
  GALIEN_USER_ERROR(csv.path << " (data.test_csv) must have the columns of " << main.source
                             << (missing.empty() ? "" : "; it lacks " + missing)
                             << (extra.empty() ? "" : "; it has extra " + extra)
                             << ": give both tables the same header row");
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
  table.task = config.task;
  std::vector<const CsvRow*> kept = kept_rows(csv, roles, config, table);
  int label_index = config.label_column.empty() ? -1 : csv.column_index(config.label_column);
  table.classes = make_classes(csv, kept, label_index, config);
  auto categories = collect_categories(roles, kept);
  for (const auto& [c, values] : categories) table.categories[csv.header[c]] = values;
  const auto transforms = checked_transforms(csv, roles, config);
  table.features = make_features(csv, roles, categories, transforms);
  for (std::size_t c = 0; c < roles.size(); ++c) {
    if (roles[c] == Role::kDrop) table.dropped_columns.push_back(csv.header[c]);
  }
  table.header = csv.header;
  encode_rows(csv, config, kept, Encoding{roles, categories, transforms, "", ""}, table);
  return table;
}

std::string test_key_namespace(const DataConfig& config) {
  return config.test_patients == "separate" || !config.patient_id_column ? "test:" : "";
}

namespace {

// `csv` with its columns in `header`'s order (the same set), so that features come out in the
// main table's order.
CsvTable in_column_order(const CsvTable& csv, const std::vector<std::string>& header) {
  CsvTable ordered;
  ordered.path = csv.path;
  ordered.header = header;
  std::vector<std::size_t> from;
  for (const std::string& column : header)
    from.push_back(static_cast<std::size_t>(csv.column_index(column)));
  for (const CsvRow& row : csv.rows) {
    CsvRow& out = ordered.rows.emplace_back();
    out.line = row.line;
    for (std::size_t c : from) out.fields.push_back(row.fields[c]);
  }
  return ordered;
}

}  // namespace

EncodedTable encode_test_table(const CsvTable& unordered, const DataConfig& config,
                               const EncodedTable& main) {
  check_missing_policy(config.missing);
  check_same_columns(unordered, main);
  const CsvTable csv = in_column_order(unordered, main.header);
  RoleTable roles = assign_roles(csv, config);
  EncodedTable table;
  table.task = main.task;
  std::vector<const CsvRow*> kept = kept_rows(csv, roles, config, table);
  table.classes = main.classes;
  table.features = main.features;
  table.categories = main.categories;
  table.dropped_columns = main.dropped_columns;
  table.header = csv.header;
  auto categories = categories_like(csv, roles, main);
  const auto transforms = checked_transforms(csv, roles, config);
  encode_rows(csv, config, kept,
              Encoding{roles, categories, transforms, main.source, test_key_namespace(config)},
              table);
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
  for (std::size_t f = 0; f < table.num_features(); ++f) {
    FeatureInfo& feature = table.features[f];
    if (feature.kind != "numeric") continue;
    std::tie(feature.mean, feature.std) = train_statistics(table, f, train_rows);
  }
  apply_standardisation(table, table.features);
}

void apply_standardisation(EncodedTable& table, const std::vector<FeatureInfo>& fitted) {
  GALIEN_CHECK(fitted.size() == table.num_features(), "fitted statistics of another table");
  const std::size_t width = table.num_features();
  for (std::size_t f = 0; f < width; ++f) {
    const FeatureInfo& feature = fitted[f];
    table.features[f] = feature;
    if (feature.kind != "numeric") continue;
    for (std::size_t r = 0; r < table.num_rows(); ++r) {
      double& v = table.values[r * width + f];
      v = std::isnan(v) ? 0.0 : (v - feature.mean) / feature.std;
    }
  }
}

std::pair<double, double> target_statistics(const EncodedTable& table,
                                            const std::vector<std::int64_t>& rows) {
  GALIEN_CHECK(!rows.empty() && table.target.size() == table.num_rows(),
               "target statistics need rows with a target");
  double sum = 0.0;
  for (std::int64_t r : rows) sum += table.target[static_cast<std::size_t>(r)];
  const double mean = sum / static_cast<double>(rows.size());
  double squares = 0.0;
  for (std::int64_t r : rows) {
    const double d = table.target[static_cast<std::size_t>(r)] - mean;
    squares += d * d;
  }
  const double std = std::sqrt(squares / static_cast<double>(rows.size()));
  const bool constant = std <= 1e-12 * std::max(1.0, std::abs(mean));
  return {mean, constant ? 1.0 : std};
}

}  // namespace galien
