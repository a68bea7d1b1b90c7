// Glue between the shard pipeline and privacy/: copies the columns the pseudonymisation policy
// acts on out of the CSV table, applies the policy and writes them back (so encode_table sees
// generalised values and dates as days since 1970-01-01); records `galien shard` in the audit log.
#pragma once

#include "core/config/config.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"
#include "privacy/policy.h"
#include "privacy/pseudonym.h"
#include "privacy/report.h"

namespace galien {

// The table with the policy applied. UserError when a column the config names is not in it.
// `key_namespace` precedes each row's patient key as in encode_table (the test table's
// "test:", datasets/tabular.h), so date offsets follow the pseudonyms that are written.
CsvTable apply_privacy_policy(PseudonymisationPolicy& policy, CsvTable csv,
                              const DataConfig& data, const Pseudonymizer& pseudonymizer,
                              const std::string& key_namespace = "");

// Appends "shards_created" to audit_log_path(config), once manifest.json is in the directory:
// every input table (data.csv, and data.test_csv when the manifest has a test table) and each
// table's risk gate (`test_policy`: the test table's, or null).
void record_shards_created(const Config& config, const Manifest& manifest,
                           const PseudonymisationPolicy& policy,
                           const PseudonymisationPolicy* test_policy = nullptr);

}  // namespace galien
