// The external test table (data.test_csv), e.g. GBSG for a model developed on Rotterdam: all its
// rows form the test split. It goes through the same steps as data.csv — its own pseudonymisation
// policy and re-identification risk gate (its rows are released as a split of their own, so
// they are measured on their own), encoding with data.csv's classes, categories and features,
// pseudonyms under the same key — and its patients must not be in data.csv.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "datasets/tabular.h"
#include "privacy/key_file.h"
#include "privacy/policy.h"

namespace galien {

struct TestTable {
  EncodedTable table;                  // patient_keys already cleared
  std::vector<std::string> pseudonyms; // one per row
  std::string sha256;                  // of the file's bytes as read
  std::unique_ptr<PseudonymisationPolicy> policy;  // its gate and report
};

// Reads, gates, encodes like `main` and pseudonymises data.test_csv. UserError naming the file
// (line, column) as encode_test_table does, or the gate's refusal.
TestTable read_test_table(const Config& config, const EncodedTable& main, const SecretKey& key);

// UserError naming the CSV lines (never the ID) when a patient is in both tables: the test
// split must hold patients the model never saw.
void check_disjoint_patients(const EncodedTable& main, const std::vector<std::string>& main_pseudonyms,
                             const TestTable& test, const DataConfig& config);

// The manifest's record of the test table.
TestTableInfo test_table_info(const Config& config, const TestTable& test);

}  // namespace galien
