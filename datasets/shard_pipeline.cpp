#include "datasets/shard_pipeline.h"

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <optional>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "datasets/csv.h"
#include "datasets/imaging/image_pipeline.h"
#include "datasets/privacy_step.h"
#include "datasets/shard.h"
#include "datasets/shard_output.h"
#include "datasets/shard_store.h"
#include "datasets/split_check.h"
#include "datasets/split.h"
#include "datasets/tabular.h"
#include "datasets/test_table.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;


void check_settings(const Config& config, bool overwrite) {
  const DataConfig& data = config.data;
  if (data.csv.empty()) GALIEN_USER_ERROR("data.csv is not set: name the clinical table");
  if (!data.test_csv.empty() && data.test_fraction != 0)
    GALIEN_USER_ERROR("data.split.test is " << data.test_fraction << " but data.test_csv is set: "
                      << "all its rows form the test split, so set data.split.test: 0");
  if (!data.test_csv.empty() && data.cv_folds > 0)
    GALIEN_USER_ERROR("cv.folds and data.test_csv both define the test split: use one");
  if (data.test_patients != "shared" && data.test_patients != "separate")
    GALIEN_USER_ERROR("data.test_patients is '" << data.test_patients
                      << "': use shared or separate");
  check_output_dir(config, overwrite);
}

// The raw patient keys are replaced here and not kept: only pseudonyms go further.
std::vector<std::string> pseudonymise(EncodedTable& table, const Pseudonymizer& pseudonymizer) {
  std::vector<std::string> pseudonyms;
  pseudonyms.reserve(table.num_rows());
  for (const std::string& key : table.patient_keys) pseudonyms.push_back(pseudonymizer(key));
  table.patient_keys.clear();
  return pseudonyms;
}

// The rows of one split and the table they come from: data.csv, or data.test_csv for "test".
struct SplitSource {
  SplitPart part;
  const EncodedTable* table = nullptr;
  const std::vector<std::string>* pseudonyms = nullptr;
};

// The split keeps each patient in one split by construction (and the test table's patients are
// checked against data.csv's); this checks the output itself, which is what
// privacy_report.json states.
void verify_no_shared_patients(const std::map<std::string, SplitSource>& splits) {
  std::map<std::string, std::string> owner;
  for (const auto& [name, split] : splits) {
    for (std::int64_t row : split.part.rows()) {
      auto [it, inserted] =
          owner.emplace((*split.pseudonyms)[static_cast<std::size_t>(row)], name);
      GALIEN_CHECK(inserted || it->second == name,
                   "a patient is in splits " << it->second << " and " << name);
    }
  }
}

ShardData make_shard(const EncodedTable& table, const std::vector<std::string>& pseudonyms,
                     const std::string& split, int index, int count,
                     const std::vector<std::int64_t>& rows) {
  ShardData shard;
  shard.split = split;
  shard.shard_index = index;
  shard.num_shards = count;
  shard.num_features = static_cast<std::int64_t>(table.num_features());
  for (std::int64_t row : rows) {
    std::size_t r = static_cast<std::size_t>(row);
    shard.pseudonyms.push_back(pseudonyms[r]);
    shard.labels.push_back(table.labels[r]);
    if (table.task == "survival") {
      shard.time.push_back(static_cast<float>(table.time[r]));
      shard.event.push_back(table.event[r]);
    }
    if (table.task == "regression") shard.target.push_back(static_cast<float>(table.target[r]));
    for (std::size_t f = 0; f < table.num_features(); ++f) {
      shard.features.push_back(static_cast<float>(table.values[r * table.num_features() + f]));
    }
  }
  return shard;
}

std::string shard_file_name(const std::string& split, int index) {
  char text[32];
  std::snprintf(text, sizeof text, "-%05d.h5", index);
  return split + text;
}

SplitInfo write_split(const std::string& dir, const std::string& name, const SplitPart& part,
                      const EncodedTable& table, const std::vector<std::string>& pseudonyms,
                      const Manifest& manifest, const DataKeys& keys) {
  SplitInfo info;
  info.num_patients = part.num_patients;
  info.class_counts = part.class_counts;
  int count = static_cast<int>(part.shards.size());
  for (int i = 0; i < count; ++i) {
    ShardData shard = make_shard(table, pseudonyms, name, i, count, part.shards[i]);
    // Plain "train-00000.h5", or "train-00000.h5.enc" when encrypted (datasets/shard_store.h).
    std::string file = shard_file_name(shard_file_name(name, i), manifest);
    info.shards.push_back(store_shard(dir, file, shard, manifest, &keys));
    info.num_samples += shard.num_samples();
  }
  return info;
}

Json privacy_report(const Config& config, const EncodedTable& table, const Manifest& manifest,
                    const TestTable* test, const WrittenSplits& written) {
  const auto& id_column = config.data.patient_id_column;
  const std::string under_key =
      "HMAC-SHA256 pseudonym (64 hex digits) under key id " + manifest.key_id;
  std::string method = "no patient ID column (data.patient_id unset): each row is its own "
                       "patient, identified by the " + under_key + " of the text 'row:<line>'";
  if (id_column) {
    method = "each value of column '" + *id_column + "' was replaced by its " + under_key +
             "; raw IDs are in no output file";
  }
  Json patients = Json::object(), samples = Json::object();
  for (const auto& [name, split] : manifest.splits) {
    patients[name] = split.num_patients;
    samples[name] = split.num_samples;
  }
  Json test_table = nullptr;
  if (test) {
    const TestTableInfo& info = *manifest.test_table;
    std::string keys = "the same pseudonyms as data.csv (one patient-ID space; a patient in both "
                       "tables is refused)";
    if (test_key_namespace(config.data) == "test:") {
      keys = "each patient key was prefixed with 'test:' before pseudonymisation (" +
             std::string(id_column ? "data.test_patients: separate" : "rows are patients") +
             "), so no test pseudonym equals a data.csv pseudonym";
    }
    test_table = {{"file", info.file},
                  {"sha256", info.sha256},
                  {"rows", info.rows},
                  {"rejected_rows", info.rejected_rows},
                  {"split", "test (all its rows)"},
                  {"patients", info.patients},
                  {"pseudonymisation", keys},
                  {"policy", test->policy->report()}};
  }
  Json event_coding = nullptr;
  if (table.task == "survival") {
    std::int64_t events = 0;
    for (std::uint8_t e : table.event) events += e;
    event_coding = {{"column", config.data.event_column},
                    {"event_values", config.data.event_values},
                    {"censored_values", config.data.censored_values},
                    {"events", events},
                    {"censored", static_cast<std::int64_t>(table.event.size()) - events}};
  }
  Json transforms = Json::object();
  for (const FeatureInfo& f : table.features)
    if (!f.transform.empty()) transforms[f.name] = f.transform;
  return {{"source_file", manifest.source_file},
          {"source_sha256", manifest.source_sha256},
          {"key_id", manifest.key_id},
          {"patient_id_column", id_column ? Json(*id_column) : Json(nullptr)},
          {"pseudonymisation", method},
          {"dropped_columns", table.dropped_columns},
          {"dropped_columns_note",
           "data.drop: direct identifiers and unused columns; their values were not read "
           "into any output"},
          {"rejected_rows", manifest.rejected_rows},
          {"patients_per_split", patients},
          {"samples_per_split", samples},
          {"patients_in_more_than_one_split", written.patients_in_several_splits},
          {"split_disjointness_verified",
           "the /pseudonym of every written shard was read back: " +
               std::to_string(written.samples_read) + " samples of " +
               std::to_string(written.patients) + " patients"},
          {"event_coding", event_coding},
          {"transforms", transforms},
          {"test_table", test_table}};
}

void log_summary(const Manifest& manifest, const std::string& dir) {
  std::int64_t rows = manifest.source_rows, rejected = 0, patients = 0;
  for (const auto& [reason, count] : manifest.rejected_rows) rejected += count;
  if (manifest.test_table) {
    rows += manifest.test_table->rows;
    for (const auto& [reason, count] : manifest.test_table->rejected_rows) rejected += count;
  }
  for (const auto& [name, split] : manifest.splits) patients += split.num_patients;
  log::info0("shard: {} {} rows read, {} left out, {} patients, {} features, key id {}",
             manifest.task, rows, rejected, patients, manifest.num_features(), manifest.key_id);
  for (const auto& [name, split] : manifest.splits) {
    log::info0("shard: {}: {} samples, {} patients, {} shards", name, split.num_samples,
               split.num_patients, split.shards.size());
  }
  log::info0("shard: wrote {}", dir);
}

Manifest describe(const Config& config, const EncodedTable& table, const std::string& source_sha,
                  const SecretKey& key) {
  Manifest m;
  m.created_utc = utc_now_iso8601();
  m.galien_version = GALIEN_VERSION;
  m.key_id = key.key_id();
  assign_new_dataset_identity(m);  // 1.4: what a data key for this dataset is bound to
  m.config_sha256 = config.sha256;
  m.source_file = fs::path(config.data.csv).filename().string();
  m.source_sha256 = source_sha;
  m.source_rows = table.source_rows;
  m.rejected_rows = table.rejected_rows;
  m.label_column = config.data.label_column;
  m.classes = table.classes;
  m.task = config.data.task;
  if (m.task == "survival") {
    m.time_column = config.data.time_column;
    m.event_column = config.data.event_column;
  }
  m.features = table.features;
  m.cv = cv_info(config.data);
  return m;
}

// Patients (rows of `table`) of the train/val(/test) splits; plus, with data.test_csv, every
// row of the test table as "test".
std::map<std::string, SplitSource> make_splits(const Config& config, const EncodedTable& table,
                                               const std::vector<std::string>& pseudonyms,
                                               const TestTable* test) {
  // Rows are samples; a patient's rows may differ in label, time or event. Survival stratifies
  // each patient on whether any of its rows has the event.
  const bool survival = table.task == "survival";
  const std::string label_name = survival ? "event (data.event)" : "label";
  std::map<std::string, SplitSource> splits;
  for (auto& [name, part] : split_dataset(
           {table.source, table.lines, pseudonyms, table.labels, table.classes.size(), label_name,
            survival},
           config.data)) {
    splits[name] = {std::move(part), &table, &pseudonyms};
  }
  if (test) {
    const EncodedTable& t = test->table;
    splits["test"] = {split_whole({t.source, t.lines, test->pseudonyms, t.labels,
                                   t.classes.size(), label_name, survival},
                                  config.data, "test"),
                      &t, &test->pseudonyms};
  }
  return splits;
}

}  // namespace

ShardResult run_shard(const Config& config, bool overwrite) {
  if (config.data.image_format != "none") return run_image_shard(config, overwrite);
  check_settings(config, overwrite);
  // Held until the manifest is written; then, with the lock, the directory is checked again: a
  // run that finished while this one started has left a manifest.
  ShardDirLock lock(config.data.shard_dir);
  check_output_dir(config, overwrite);
  SecretKey key = load_key_file(config.privacy.key_file, "`galien shard` makes pseudonyms");
  PseudonymisationPolicy policy(config, key);  // checks privacy.* before any work
  // One read serves both the hash and the parse, so the recorded hash is of the bytes used.
  std::string text = read_file(config.data.csv);
  EncodedTable table = encode_table(
      apply_privacy_policy(policy, parse_csv(text, config.data.csv), config.data,
                           Pseudonymizer(key)),
      config.data);
  policy.gate(table.lines, config.data.shard_dir);  // k-anonymity: refuses before any shard
  std::vector<std::string> pseudonyms = pseudonymise(table, Pseudonymizer(key));
  std::optional<TestTable> test;
  if (!config.data.test_csv.empty()) {
    test = read_test_table(config, table, key);
    check_disjoint_patients(table, pseudonyms, *test, config.data);
  }
  auto splits = make_splits(config, table, pseudonyms, test ? &*test : nullptr);
  verify_no_shared_patients(splits);
  const std::vector<std::int64_t> train_rows = splits.at("train").part.rows();
  standardise_features(table, train_rows);  // train statistics only, for every table
  if (test) apply_standardisation(test->table, table.features);

  const std::string& dir = config.data.shard_dir;
  make_directories(dir);
  Manifest manifest = describe(config, table, sha256_hex(text), key);
  if (manifest.task == "regression")
    std::tie(manifest.target_mean, manifest.target_std) = target_statistics(table, train_rows);
  if (test) manifest.test_table = test_table_info(config, *test);
  if (config.privacy.encrypt) manifest.encryption = new_encryption_info();
  const DataKeys keys(key);
  for (const auto& [name, split] : splits) {
    manifest.splits[name] =
        write_split(dir, name, split.part, *split.table, *split.pseudonyms, manifest, keys);
  }
  // The leakage check on the written shards themselves (the split was built disjoint; this
  // proves what a reader will see).
  const WrittenSplits written = check_written_splits(dir, manifest, keys);
  GALIEN_CHECK(written.patients_in_several_splits == 0,
               written.patients_in_several_splits << " patients are in more than one split of "
                                                  << dir);
  // manifest.json last: its presence means the directory is complete.
  Json report = privacy_report(config, table, manifest, test ? &*test : nullptr, written);
  report.update(policy.report());
  write_privacy_reports(dir, report);  // privacy_report.json + privacy_report.md
  save_manifest(dir, manifest, keys);  // + manifest.json.hmac
  if (overwrite) remove_stale_shards(dir, manifest);
  record_shards_created(config, manifest, policy, test ? test->policy.get() : nullptr);
  log_summary(manifest, dir);
  return {dir, manifest};
}

}  // namespace galien
