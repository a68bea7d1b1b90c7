#include "datasets/imaging/png_clinical.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "core/error.h"

namespace galien {
namespace {

// The label role of the view. Not a column of any real table (checked), and never written: the
// manifest's classes of a multi-label dataset are ["all"].
constexpr const char* kLabelColumn = "(image labels: data.images.labels_column)";
constexpr const char* kLabelValue = "all";

// The data.* lists that give a column a role, with their keys.
std::vector<std::pair<const char*, const std::vector<std::string>*>> role_lists(
    const DataConfig& data) {
  return {{"data.numeric", &data.numeric},     {"data.categorical", &data.categorical},
          {"data.drop", &data.drop},           {"data.dates", &data.dates},
          {"data.free_text", &data.free_text}};
}

// The columns the PNG source reads, which no data.* list may name.
void check_image_columns_not_listed(const DataConfig& data) {
  const std::vector<std::pair<std::string, std::string>> owned = {
      {data.image_file_column, "the image file column (data.images.file_column), read by the PNG "
                               "source"},
      {data.image_labels_column, "the labels column (data.images.labels_column), whose labels go "
                                 "to /labels_multi"},
      {data.image_patient_column, "the patient column (data.images.patient_column), replaced by "
                                  "pseudonyms"}};
  for (const auto& [key, list] : role_lists(data)) {
    for (const std::string& column : *list) {
      for (const auto& [name, what] : owned) {
        if (column == name) {
          GALIEN_USER_ERROR(key << " names '" << column << "', " << what << ": remove it from "
                                << key);
        }
      }
    }
  }
}

bool is_image_column(const std::string& column, const DataConfig& data) {
  return column == data.image_file_column || column == data.image_labels_column;
}

}  // namespace

DataConfig png_table_config(const DataConfig& data) {
  DataConfig table = data;
  table.csv = data.image_labels_csv;
  table.patient_id_column = data.image_patient_column;
  table.label_column = kLabelColumn;
  table.classes = {kLabelValue};
  table.task = "classification";  // the constant label column is a (one-class) class label
  return table;
}

CsvTable png_table_view(const CsvTable& labels, const DataConfig& data) {
  if (!data.csv.empty()) {
    GALIEN_USER_ERROR("data.csv is set with data.images.format png: the clinical columns of a PNG "
                      "dataset are those of its labels table (data.images.labels_csv), one row "
                      "per image; add them to that table and list them in data.numeric / "
                      "data.categorical, and unset data.csv");
  }
  if (!data.label_column.empty()) {
    GALIEN_USER_ERROR("data.label is set with data.images.format png: PNG targets are the "
                      "multi-label column data.images.labels_column of the labels table; unset "
                      "data.label");
  }
  check_image_columns_not_listed(data);
  if (labels.column_index(kLabelColumn) >= 0) {
    GALIEN_USER_ERROR(labels.path << " has a column named '" << kLabelColumn
                                  << "', a name galien reserves: rename it");
  }
  CsvTable view;
  view.path = labels.path;
  std::vector<std::size_t> kept;
  for (std::size_t c = 0; c < labels.header.size(); ++c) {
    if (is_image_column(labels.header[c], data)) continue;
    kept.push_back(c);
    view.header.push_back(labels.header[c]);
  }
  view.header.push_back(kLabelColumn);
  view.rows.reserve(labels.rows.size());
  for (const CsvRow& row : labels.rows) {
    CsvRow out;
    out.line = row.line;
    out.fields.reserve(kept.size() + 1);
    for (std::size_t c : kept) out.fields.push_back(row.fields[c]);
    out.fields.push_back(kLabelValue);
    view.rows.push_back(std::move(out));
  }
  return view;
}

bool png_has_features(const DataConfig& data) {
  return !data.numeric.empty() || !data.categorical.empty() || !data.dates.empty() ||
         !data.free_text.empty();
}

void check_png_columns_dropped(const CsvTable& labels, const DataConfig& data) {
  check_image_columns_not_listed(data);
  for (const std::string& column : data.drop) {
    if (labels.column_index(column) < 0) {
      GALIEN_USER_ERROR("data.drop names column '" << column << "', which is not in "
                                                   << labels.path
                                                   << " (data.images.labels_csv); check the "
                                                   << "header row of the file");
    }
  }
  const std::set<std::string> dropped(data.drop.begin(), data.drop.end());
  std::string missing;
  for (const std::string& column : labels.header) {
    if (is_image_column(column, data) || column == data.image_patient_column ||
        dropped.count(column) > 0) {
      continue;
    }
    missing += (missing.empty() ? "'" : ", '") + column + "'";
  }
  if (!missing.empty()) {
    GALIEN_USER_ERROR(labels.path << ": columns not accounted for by the config: " << missing
                                  << ". Add each to data.drop (identifiers, unused columns), or "
                                  << "to data.numeric / data.categorical to give every image "
                                  << "that clinical feature; galien never drops a column "
                                  << "silently");
  }
}

}  // namespace galien
