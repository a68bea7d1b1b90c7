// Turns a CSV table into model inputs as the config describes: every column is accounted for
// (patient id, label, numeric, categorical or drop — nothing is dropped silently), numbers are
// parsed strictly, missing values follow data.missing, categories are one-hot encoded and labels
// become class indices. Statistics that must come from the train split only (imputation means,
// standardisation) are applied later by standardise_features, once the split is known.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"

namespace galien {

struct EncodedTable {
  std::string source;                                 // CSV path, for messages
  std::int64_t source_rows = 0;                       // data rows in the CSV
  std::map<std::string, std::int64_t> rejected_rows;  // reason -> rows left out (drop_row)
  std::vector<std::string> classes;                   // class index -> raw label value
  std::vector<FeatureInfo> features;                  // statistics filled by standardise_features
  std::vector<std::string> dropped_columns;           // data.drop, in CSV order: never read

  // One entry per kept row, in CSV order.
  std::vector<std::int64_t> lines;  // 1-based CSV line
  // What identifies the row's patient, to be pseudonymised at once and then discarded: the raw
  // patient id, or "row:<line>" when data.patient_id is unset. Never log or print it.
  std::vector<std::string> patient_keys;
  std::vector<std::int64_t> labels;  // class index
  std::vector<double> values;        // row-major [rows x features]; NaN = to impute

  std::size_t num_rows() const { return labels.size(); }
  std::size_t num_features() const { return features.size(); }
};

// Throws UserError naming the file (and line, column) for any config/table mismatch or bad value.
EncodedTable encode_table(const CsvTable& csv, const DataConfig& config);

// Fills missing numeric values with the mean over `train_rows`, then standardises every numeric
// feature with the train mean and population standard deviation (0 -> 1), recording both in
// table.features. One-hot features keep mean 0, std 1.
void standardise_features(EncodedTable& table, const std::vector<std::int64_t>& train_rows);

}  // namespace galien
