// The clinical-table source of `galien shard` (datasets/shard_source.h): data.csv -> privacy
// policy (drop identifiers, dates, generalisation, risk gate) -> encoded features and targets
// -> keyed pseudonyms; several rows per patient are samples of one patient. With
// data.test_csv, the external test table is the test split.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "datasets/shard_source.h"
#include "privacy/key_file.h"

namespace galien {

// What a table dataset needs of the config, checked before the output directory is touched.
void check_table_shard_settings(const Config& config);

// Reads, gates and pseudonymises data.csv (and data.test_csv). UserErrors name FILE:LINE and
// the column, never a patient's key.
std::unique_ptr<ShardSource> open_table_source(const Config& config, const SecretKey& key);

}  // namespace galien
