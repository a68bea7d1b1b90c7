// The clinical-table source of `galien shard` (datasets/shard_source.h): data.csv -> privacy
// policy (drop identifiers, dates, generalisation, risk gate) -> encoded features and targets
// -> keyed pseudonyms; several rows per patient are samples of one patient. With
// data.test_csv, the external test table is the test split.
#pragma once

#include <memory>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/shard_source.h"
#include "datasets/tabular.h"
#include "privacy/key_file.h"
#include "privacy/policy.h"
#include "privacy/pseudonym.h"

namespace galien {

// data.csv as every source reads it: one read serves the hash and the parse (so the recorded
// hash is of the bytes used), then the privacy policy, the encoding, the risk gate (refuses
// before any shard) and the pseudonyms; the raw patient keys are cleared and go no further.
struct ClinicalTable {
  EncodedTable table;
  std::vector<std::string> pseudonyms;  // one per row
  std::string sha256;                   // of the file's bytes as read
};
ClinicalTable read_clinical_table(const Config& config, PseudonymisationPolicy& policy,
                                  const Pseudonymizer& pseudonymize);

// What a table dataset needs of the config, checked before the output directory is touched.
void check_table_shard_settings(const Config& config);

// Reads, gates and pseudonymises data.csv (and data.test_csv). UserErrors name FILE:LINE and
// the column, never a patient's key.
std::unique_ptr<ShardSource> open_table_source(const Config& config, const SecretKey& key);

}  // namespace galien
