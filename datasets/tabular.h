// Turns a CSV table into model inputs as the config describes: every column is accounted for
// (patient id, label, survival time/event, numeric, categorical or drop — nothing is dropped
// silently), numbers are parsed strictly, missing values follow data.missing, categories are
// one-hot encoded and the target becomes what data.task needs: a class index (classification),
// time + event (survival; the event is also the class, for a stratified split) or a raw number
// (regression). Statistics that must come from the train split only (imputation means,
// standardisation, target mean/std) are applied later, once the split is known.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"

namespace galien {

struct EncodedTable {
  std::string source;                                 // CSV path, for messages
  std::vector<std::string> header;                    // CSV columns (the test table must match)
  std::int64_t source_rows = 0;                       // data rows in the CSV
  std::map<std::string, std::int64_t> rejected_rows;  // reason -> rows left out (drop_row)
  std::string task = "classification";               // data.task
  std::vector<std::string> classes;                   // class index -> raw label value
  std::vector<FeatureInfo> features;                  // statistics filled by standardise_features
  std::vector<std::string> dropped_columns;           // data.drop, in CSV order: never read
  // Categorical column -> its sorted categories (the one-hot features, in order).
  std::map<std::string, std::vector<std::string>> categories;

  // One entry per kept row, in CSV order.
  std::vector<std::int64_t> lines;  // 1-based CSV line
  // What identifies the row's patient, to be pseudonymised at once and then discarded: the raw
  // patient id, or "row:<line>" when data.patient_id is unset. Never log or print it.
  std::vector<std::string> patient_keys;
  // data.images.join_column of each row, raw (it may hold a case name or a folder named after the
  // patient): matched to the images in memory, then cleared. Empty unless that key is set.
  std::vector<std::string> image_keys;
  std::vector<std::int64_t> labels;  // class index (survival: the event; regression: 0)
  std::vector<double> values;        // row-major [rows x features]; NaN = to impute
  std::vector<double> time;          // survival only: time, finite and >= 0
  std::vector<std::uint8_t> event;   // survival only: 1 = event, 0 = censored
  std::vector<double> target;        // regression only: the raw target value

  std::size_t num_rows() const { return labels.size(); }
  std::size_t num_features() const { return features.size(); }
};

// Throws UserError naming the file (and line, column) for any config/table mismatch or bad value.
EncodedTable encode_table(const CsvTable& csv, const DataConfig& config);

// The external test table (data.test_csv), encoded exactly like `main` (the encoded data.csv):
// its classes, categories and features. UserError naming the file when its columns differ from
// data.csv's, and file:line and column for a label or category that data.csv does not have.
// Patient keys are namespaced as test_key_namespace() says.
EncodedTable encode_test_table(const CsvTable& csv, const DataConfig& config,
                               const EncodedTable& main);

// What precedes a test-table row's patient key before it is pseudonymised: "test:" when
// data.test_patients is separate or data.patient_id is null (row keys "row:<line>" of two tables
// would collide), else "" (one ID space: the same ID is the same patient, in both tables).
std::string test_key_namespace(const DataConfig& config);

// Fills missing numeric values with the mean over `train_rows`, then standardises every numeric
// feature with the train mean and population standard deviation (0 -> 1), recording both in
// table.features. One-hot features keep mean 0, std 1.
void standardise_features(EncodedTable& table, const std::vector<std::int64_t>& train_rows);

// Applies statistics fitted elsewhere (`fitted`: the train split's table.features after
// standardise_features) to every row of `table`: missing values become the train mean (0).
void apply_standardisation(EncodedTable& table, const std::vector<FeatureInfo>& fitted);

// Regression: mean and population standard deviation of the target over `rows` (the train
// split); a constant target gets std 1, like a constant feature.
std::pair<double, double> target_statistics(const EncodedTable& table,
                                            const std::vector<std::int64_t>& rows);

}  // namespace galien
