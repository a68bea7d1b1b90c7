#include "datasets/table_source.h"

#include <filesystem>
#include <optional>
#include <tuple>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "datasets/csv.h"
#include "datasets/privacy_step.h"
#include "datasets/tabular.h"
#include "datasets/test_table.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// The rows of one split and the table they come from: data.csv, or data.test_csv for "test".
struct SplitSource {
  SplitPart part;
  const EncodedTable* table = nullptr;
  const std::vector<std::string>* pseudonyms = nullptr;
};

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

class TableSource : public ShardSource {
 public:
  TableSource(const Config& config, const SecretKey& key)
      : config_(config), policy_(config, key) {  // the policy checks privacy.* before any work
    ClinicalTable clinical = read_clinical_table(config, policy_, Pseudonymizer(key));
    table_ = std::move(clinical.table);
    pseudonyms_ = std::move(clinical.pseudonyms);
    source_sha256_ = std::move(clinical.sha256);
    if (!config.data.test_csv.empty()) {
      test_ = read_test_table(config, table_, key);
      check_disjoint_patients(table_, pseudonyms_, *test_, config.data);
    }
  }

  const PseudonymisationPolicy& policy() const override { return policy_; }
  const PseudonymisationPolicy* test_policy() const override {
    return test_ ? test_->policy.get() : nullptr;
  }

  std::map<std::string, SplitPart> split() override {
    sources_ = make_splits(config_, table_, pseudonyms_, test_ ? &*test_ : nullptr);
    std::map<std::string, SplitPart> parts;
    for (const auto& [name, source] : sources_) parts[name] = source.part;
    return parts;
  }

  const std::string& pseudonym(const std::string& split, std::int64_t row) const override {
    return (*sources_.at(split).pseudonyms)[static_cast<std::size_t>(row)];
  }

  void prepare(const std::map<std::string, SplitPart>& splits) override {
    train_rows_ = splits.at("train").rows();
    standardise_features(table_, train_rows_);  // train statistics only, for every table
    if (test_) apply_standardisation(test_->table, table_.features);
  }

  void describe(Manifest& m, const std::map<std::string, SplitPart>& /*splits*/) const override {
    m.source_file = fs::path(config_.data.csv).filename().string();
    m.source_sha256 = source_sha256_;
    m.source_rows = table_.source_rows;
    m.rejected_rows = table_.rejected_rows;
    m.label_column = config_.data.label_column;
    m.classes = table_.classes;
    m.task = config_.data.task;
    if (m.task == "survival") {
      m.time_column = config_.data.time_column;
      m.event_column = config_.data.event_column;
    }
    m.features = table_.features;
    if (m.task == "regression")
      std::tie(m.target_mean, m.target_std) = target_statistics(table_, train_rows_);
    if (test_) m.test_table = test_table_info(config_, *test_);
  }

  ShardData make_shard(const std::string& split, int index, int count,
                       const std::vector<std::int64_t>& members) const override {
    const SplitSource& source = sources_.at(split);
    return galien::make_shard(*source.table, *source.pseudonyms, split, index, count, members);
  }

  Json privacy_report(const Manifest& manifest, const WrittenSplits& written) const override {
    return galien::privacy_report(config_, table_, manifest, test_ ? &*test_ : nullptr, written);
  }

  void log_summary(const Manifest& manifest, const std::string& dir) const override {
    galien::log_summary(manifest, dir);
  }

 private:
  const Config& config_;
  PseudonymisationPolicy policy_;
  std::string source_sha256_;
  EncodedTable table_;
  std::vector<std::string> pseudonyms_;  // one per row of table_
  std::optional<TestTable> test_;
  std::map<std::string, SplitSource> sources_;
  std::vector<std::int64_t> train_rows_;
};

}  // namespace

ClinicalTable read_clinical_table(const Config& config, PseudonymisationPolicy& policy,
                                  const Pseudonymizer& pseudonymize) {
  ClinicalTable clinical;
  const std::string text = read_file(config.data.csv);
  clinical.sha256 = sha256_hex(text);
  clinical.table = encode_table(
      apply_privacy_policy(policy, parse_csv(text, config.data.csv), config.data, pseudonymize),
      config.data);
  policy.gate(clinical.table.lines, config.data.shard_dir);  // k-anonymity
  clinical.pseudonyms.reserve(clinical.table.num_rows());
  for (const std::string& key : clinical.table.patient_keys)
    clinical.pseudonyms.push_back(pseudonymize(key));
  clinical.table.patient_keys.clear();  // raw keys go no further
  return clinical;
}

void check_table_shard_settings(const Config& config) {
  const DataConfig& data = config.data;
  if (data.csv.empty()) GALIEN_USER_ERROR("data.csv is not set: name the clinical table");
  if (!data.image_join_column.empty())
    GALIEN_USER_ERROR("data.images.join_column is set but data.images.format is none: it names "
                      "each row's image; set data.images.format and data.images.path, or remove it");
  if (!data.test_csv.empty() && data.test_fraction != 0)
    GALIEN_USER_ERROR("data.split.test is " << data.test_fraction << " but data.test_csv is set: "
                      << "all its rows form the test split, so set data.split.test: 0");
  if (!data.test_csv.empty() && data.cv_folds > 0)
    GALIEN_USER_ERROR("cv.folds and data.test_csv both define the test split: use one");
  if (data.test_patients != "shared" && data.test_patients != "separate")
    GALIEN_USER_ERROR("data.test_patients is '" << data.test_patients
                      << "': use shared or separate");
}

std::unique_ptr<ShardSource> open_table_source(const Config& config, const SecretKey& key) {
  return std::make_unique<TableSource>(config, key);
}

}  // namespace galien
