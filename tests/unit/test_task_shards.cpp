// `galien shard` for survival and regression targets, an external test table (data.test_csv)
// and K-fold cross-validation (cv.*): the config keys, encoding, split, the /target dataset, the
// manifest, and whole runs on the project's data (tests/configs/).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/config/config.h"
#include "core/fs.h"
#include "core/hash.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard.h"
#include "datasets/shard_pipeline.h"
#include "datasets/split.h"
#include "datasets/tabular.h"
#include "privacy/data_keys.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using test::user_error_of;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/task_shards/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

std::string source_file(const std::string& relative) {
  return std::string(GALIEN_SOURCE_DIR) + "/" + relative;
}

CsvTable csv_of(const std::string& text, const std::string& path = "t.csv") {
  return parse_csv(text, path);
}

ShardResult quiet_shard(const Config& config, bool overwrite = false) {
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));
  ShardResult result;
  try {
    result = run_shard(config, overwrite);
  } catch (...) {
    spdlog::set_default_logger(previous);
    throw;
  }
  spdlog::set_default_logger(previous);
  return result;
}

std::string new_key(const std::string& dir) {
  std::string path = dir + "/key.bin";
  fs::remove(path);
  generate_key_file(path);
  return path;
}

// Every shard of `split`, read back (plain shards).
std::vector<ShardData> read_split(const ShardResult& result, const std::string& split) {
  std::vector<ShardData> shards;
  for (const std::string& path : verify_split(result.shard_dir, result.manifest, split))
    shards.push_back(read_shard(path));
  return shards;
}

DataConfig survival_config() {
  DataConfig config;
  config.task = "survival";
  config.patient_id_column = "id";
  config.time_column = "t";
  config.event_column = "e";
  config.numeric = {"*"};
  return config;
}

// ---------------------------------------------------------------- config keys

std::string write_config(const std::string& dir, const std::string& text) {
  std::string path = dir + "/c.yaml";
  write_file_atomic(path, text);
  return path;
}

std::string load_error(const std::string& path, const std::vector<std::string>& overrides) {
  return user_error_of([&] { load_config(path, overrides); });
}

TEST(TaskConfig, NewKeysHaveTheirDefaultsAndLoad) {
  const std::string dir = scratch("config_keys");
  Config defaults = load_config(write_config(dir, ""));
  EXPECT_EQ(defaults.data.task, "classification");
  EXPECT_EQ(defaults.data.test_patients, "shared");
  EXPECT_TRUE(defaults.data.test_csv.empty() && defaults.data.time_column.empty());
  EXPECT_EQ(defaults.data.cv_folds, 0);
  EXPECT_EQ(defaults.data.cv_repeats, 1);
  EXPECT_CONTAINS(defaults.resolved_yaml, "cv:\n  folds: 0\n  repeats: 1\n  fold: 0\n  repeat: 0\n");

  Config c = load_config(write_config(dir, "data:\n  task: survival\n  time: t\n  event: e\n"
                                           "  test_csv: b.csv\n  test_patients: separate\n"
                                           "  split: {val: 0.2, test: 0}\n"),
                         {"data.test_csv=''", "cv={folds: 5, repeats: 3}", "cv.fold=4", "cv.repeat=2"});
  EXPECT_EQ(c.data.task, "survival");
  EXPECT_EQ(c.data.time_column, "t");
  EXPECT_EQ(c.data.event_column, "e");
  EXPECT_EQ(c.data.test_patients, "separate");
  EXPECT_EQ(c.data.cv_folds, 5);
  EXPECT_EQ(c.data.cv_repeats, 3);
  EXPECT_EQ(c.data.cv_fold, 4);
  EXPECT_EQ(c.data.cv_repeat, 2);
}

TEST(TaskConfig, CrossChecksNameTheKeysToChange) {
  const std::string dir = scratch("config_checks");
  const std::string path = write_config(dir, "data:\n  split: {test: 0}\n");
  EXPECT_CONTAINS(load_error(path, {"cv.folds=1"}), "cv.folds is 1");
  EXPECT_CONTAINS(load_error(path, {"cv.folds=5", "cv.fold=5"}),
                  "cv.fold is 5 but must be in [0, 5)");
  EXPECT_CONTAINS(load_error(path, {"cv.folds=5", "cv.repeat=1"}),
                  "cv.repeat is 1 but must be in [0, 1)");
  EXPECT_CONTAINS(load_error(path, {"cv.fold=2"}), "cv.folds is 0");
  EXPECT_CONTAINS(load_error(path, {"cv.folds=5", "data.split.test=0.1"}),
                  "the test split comes from cv.fold: set data.split.test: 0");
  EXPECT_CONTAINS(load_error(path, {"data.test_csv=x.csv", "data.split.test=0.2"}),
                  "comes from data.test_csv: set data.split.test: 0");
  EXPECT_CONTAINS(load_error(path, {"cv.folds=5", "data.test_csv=x.csv"}),
                  "both define the test split");
  EXPECT_CONTAINS(load_error(path, {"data.task=survivl"}), "did you mean 'survival'?");
  EXPECT_CONTAINS(load_error(path, {"data.test_patients=disjoint"}), "one of shared, separate");
  EXPECT_NO_THROW(load_config(path, {"cv.folds=10"}));
}

// ---------------------------------------------------------------- encoding

TEST(SurvivalEncoding, TimeAndEventAreTargetsNotFeaturesAndTheEventIsTheClass) {
  EncodedTable t = encode_table(csv_of("id,age,t,e\nA,50,12.5,1\nB,61,0,0\nC,70,300,1\n"),
                                survival_config());
  ASSERT_EQ(t.num_features(), 1u);
  EXPECT_EQ(t.features[0].name, "age");
  EXPECT_EQ(t.classes, (std::vector<std::string>{"censored", "event"}));
  EXPECT_EQ(t.time, (std::vector<double>{12.5, 0, 300}));
  EXPECT_EQ(t.event, (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(t.labels, (std::vector<std::int64_t>{1, 0, 1}));
  EXPECT_TRUE(t.target.empty());
  EXPECT_EQ(t.task, "survival");
}

TEST(SurvivalEncoding, BadTimesAndEventsNameFileLineAndColumn) {
  const DataConfig config = survival_config();
  auto error = [&](const std::string& rows) {
    return user_error_of([&] { encode_table(csv_of("id,age,t,e\nA,50,1,1\n" + rows), config); });
  };
  std::string negative = error("B,60,-3,0\n");
  EXPECT_CONTAINS(negative, "t.csv:3: column 't' (data.time): a negative survival time");
  EXPECT_EQ(negative.find("-3"), std::string::npos) << "cell values are not quoted";
  EXPECT_CONTAINS(error("B,60,3,2\n"), "t.csv:3: column 'e' (data.event): a value that is in "
                                      "neither data.event_values [1] nor data.censored_values [0]");
  EXPECT_CONTAINS(error("B,60,3,0.5\n"), "t.csv:3: column 'e' (data.event)");
  EXPECT_CONTAINS(error("B,60,soon,0\n"), "t.csv:3: column 't': the value is not a number");
  EXPECT_CONTAINS(error("B,60,inf,0\n"), "t.csv:3: column 't': 'inf' is not a finite number");
  EXPECT_CONTAINS(error("B,60,,0\n"), "t.csv:3: missing survival time in column 't'");
  EXPECT_CONTAINS(error("B,60,4,NA\n"), "t.csv:3: missing event in column 'e'");
}

TEST(SurvivalEncoding, MissingTargetsFollowDropRowAndAreNeverImputed) {
  DataConfig config = survival_config();
  const std::string text = "id,age,t,e\nA,50,1,1\nB,60,,0\nC,,3,\nD,70,4,0\n";
  config.missing = "drop_row";
  EncodedTable t = encode_table(csv_of(text), config);
  EXPECT_EQ(t.lines, (std::vector<std::int64_t>{2, 5}));
  EXPECT_EQ(t.rejected_rows.at("missing value"), 2);
  config.missing = "impute";
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of(text), config); }),
                  "t.csv:3: missing survival time in column 't' (fill it in, or set "
                  "data.missing: drop_row to leave such rows out; survival times are never "
                  "imputed)");
}

TEST(SurvivalEncoding, KeysOfOtherTasksAreRefused) {
  const CsvTable csv = csv_of("id,age,t,e\nA,50,1,1\nB,60,2,0\n");
  DataConfig config = survival_config();
  config.label_column = "e";
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv, config); }),
                  "data.label is 'e' but data.task is survival");
  config = survival_config();
  config.event_column.clear();
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv, config); }),
                  "data.task is survival: set data.time");
  config = survival_config();
  config.task = "classification";
  config.label_column = "e";
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv, config); }),
                  "data.time and data.event are for data.task: survival");
  // Without a role, a column would be silently ignored: it must be named.
  config = survival_config();
  config.numeric = {"age"};
  config.drop = {"t"};
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv, config); }),
                  "column 't' of t.csv is named in both data.time and data.drop");
}

TEST(RegressionEncoding, TargetIsRawAndEveryRowIsOneClass) {
  DataConfig config;
  config.task = "regression";
  config.label_column = "y";
  config.numeric = {"*"};
  EncodedTable t = encode_table(csv_of("x,y\n1,151\n2,75.5\n3,-2e1\n"), config);
  EXPECT_EQ(t.num_features(), 1u);
  EXPECT_EQ(t.target, (std::vector<double>{151, 75.5, -20}));
  EXPECT_EQ(t.labels, (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(t.classes, (std::vector<std::string>{"all"}));
  auto [mean, std] = target_statistics(t, {0, 1});
  EXPECT_DOUBLE_EQ(mean, 113.25);
  EXPECT_DOUBLE_EQ(std, 37.75);  // population std of {151, 75.5}
  EXPECT_EQ(target_statistics(t, {2}).second, 1.0);  // constant: 1, like a constant feature

  std::string message =
      user_error_of([&] { encode_table(csv_of("x,y\n1,151\n2,high\n"), config); });
  EXPECT_CONTAINS(message, "t.csv:3: column 'y': the value is not a number");
  EXPECT_EQ(message.find("high"), std::string::npos);
  config.missing = "impute";
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,151\n2,\n"), config); }),
                  "t.csv:3: missing target in column 'y'");
  config.classes = {"a", "b"};
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,151\n"), config); }),
                  "data.classes is set but data.task is regression");
  config.classes.clear();
  config.label_column.clear();
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,151\n"), config); }),
                  "data.label is not set: name the numeric target column");
}

// ---------------------------------------------------------------- the external test table

DataConfig categorical_config() {
  DataConfig config;
  config.patient_id_column = "id";
  config.label_column = "y";
  config.numeric = {"x"};
  config.categorical = {"size"};
  config.missing = "impute";
  return config;
}

TEST(TestTableEncoding, UsesTheMainTablesEncodingAndTrainStatistics) {
  const DataConfig config = categorical_config();
  EncodedTable main = encode_table(
      csv_of("id,size,x,y\nA,S,1,no\nB,L,3,yes\nC,S,5,no\nD,L,100,yes\n", "main.csv"), config);
  // Another column order, a missing x, and only one of the categories.
  EncodedTable test = encode_test_table(
      csv_of("y,x,size,id\nyes,7,L,E\nno,,L,F\n", "test.csv"), config, main);
  EXPECT_EQ(test.classes, main.classes);
  ASSERT_EQ(test.num_features(), 3u);  // size=L, size=S, x: the main table's features
  EXPECT_EQ(test.features[0].name, "size=L");
  EXPECT_EQ(test.labels, (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(test.patient_keys, (std::vector<std::string>{"E", "F"}));  // shared ID space
  standardise_features(main, {0, 1, 2});  // train: A, B, C: mean 3, std sqrt(8/3)
  apply_standardisation(test, main.features);
  EXPECT_DOUBLE_EQ(test.features[2].mean, 3.0);
  EXPECT_DOUBLE_EQ(test.values[0 * 3 + 2], 4.0 / std::sqrt(8.0 / 3.0));
  EXPECT_DOUBLE_EQ(test.values[1 * 3 + 2], 0.0);  // imputed with the train mean
  EXPECT_EQ(test.values[0 * 3 + 0], 1.0);          // one-hot untouched

  DataConfig separate = config;
  separate.test_patients = "separate";
  EXPECT_EQ(encode_test_table(csv_of("y,x,size,id\nyes,7,L,E\n", "test.csv"), separate, main)
                .patient_keys,
            (std::vector<std::string>{"test:E"}));
  DataConfig rows = config;
  rows.patient_id_column.reset();
  rows.drop = {"id"};
  EncodedTable main_rows = encode_table(csv_of("id,size,x,y\nA,S,1,no\nB,L,3,yes\n", "m.csv"), rows);
  EXPECT_EQ(encode_test_table(csv_of("id,size,x,y\nE,S,1,no\n", "test.csv"), rows, main_rows)
                .patient_keys,
            (std::vector<std::string>{"test:row:2"}));  // never the main table's "row:2"
}

TEST(TestTableEncoding, UnknownCategoryLabelOrColumnsAreNamed) {
  const DataConfig config = categorical_config();
  const EncodedTable main =
      encode_table(csv_of("id,size,x,y\nA,S,1,no\nB,L,3,yes\n", "main.csv"), config);
  std::string category = user_error_of([&] {
    encode_test_table(csv_of("id,size,x,y\nE,S,1,no\nF,XL,2,yes\n", "test.csv"), config, main);
  });
  EXPECT_CONTAINS(category, "test.csv:3: column 'size': a category that main.csv does not have");
  EXPECT_EQ(category.find("XL"), std::string::npos);
  EXPECT_CONTAINS(user_error_of([&] {
                    encode_test_table(csv_of("id,size,x,y\nE,,1,no\n", "test.csv"), config, main);
                  }),
                  "test.csv:2: column 'size'");
  EXPECT_CONTAINS(user_error_of([&] {
                    encode_test_table(csv_of("id,size,x,y\nE,S,1,maybe\n", "test.csv"), config,
                                      main);
                  }),
                  "test.csv:2: label 'maybe' in column 'y' is not one of data.classes");
  std::string columns = user_error_of([&] {
    encode_test_table(csv_of("id,size,z,y\nE,S,1,no\n", "test.csv"), config, main);
  });
  EXPECT_CONTAINS(columns, "test.csv (data.test_csv) must have the columns of main.csv; it lacks "
                           "'x'; it has extra 'z'");
}

// ---------------------------------------------------------------- split

// `n` patients of `classes` classes (patient i: class i % classes, 1 + i % 3 rows).
SplitInput patients_input(int n, int classes) {
  SplitInput input;
  input.source = "s.csv";
  input.num_classes = static_cast<std::size_t>(classes);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k <= i % 3; ++k) {
      input.lines.push_back(static_cast<std::int64_t>(input.lines.size()) + 2);
      input.pseudonyms.push_back(sha256_hex(std::string_view("p" + std::to_string(i))));
      input.labels.push_back(i % classes);
    }
  }
  return input;
}

std::set<std::string> patients_of(const SplitInput& input, const SplitPart& part) {
  std::set<std::string> patients;
  for (std::int64_t r : part.rows()) patients.insert(input.pseudonyms[static_cast<std::size_t>(r)]);
  return patients;
}

TEST(SplitFractions, ZeroValOrTestLeavesThatSplitOut) {
  const SplitInput input = patients_input(60, 2);
  DataConfig config;
  config.val_fraction = 0;
  config.test_fraction = 0.2;
  auto splits = split_dataset(input, config);
  EXPECT_EQ(splits.count("val"), 0u);
  EXPECT_EQ(splits.at("test").num_patients, 12);
  EXPECT_EQ(splits.at("train").num_patients, 48);
  config.test_fraction = 0;
  splits = split_dataset(input, config);
  ASSERT_EQ(splits.size(), 1u);
  EXPECT_EQ(splits.at("train").num_patients, 60);
  EXPECT_EQ(splits.at("train").rows().size(), input.labels.size());
}

TEST(CrossValidation, TestFoldsPartitionThePatientsStratifiedForEachRepeat) {
  const SplitInput input = patients_input(103, 3);
  std::set<std::string> everyone(input.pseudonyms.begin(), input.pseudonyms.end());
  DataConfig config;
  config.test_fraction = 0;
  config.val_fraction = 0.2;
  config.cv_folds = 5;
  config.cv_repeats = 2;
  for (int repeat = 0; repeat < 2; ++repeat) {
    config.cv_repeat = repeat;
    std::set<std::string> tested;
    std::size_t test_patients = 0;
    for (int fold = 0; fold < 5; ++fold) {
      config.cv_fold = fold;
      auto splits = split_dataset(input, config);
      ASSERT_EQ(splits.size(), 3u);
      const auto test = patients_of(input, splits.at("test"));
      const auto val = patients_of(input, splits.at("val"));
      const auto train = patients_of(input, splits.at("train"));
      test_patients += test.size();
      tested.insert(test.begin(), test.end());
      // Each class (35, 34, 34 patients) within one patient of 1/5 in every test fold.
      std::vector<int> per_class(3, 0);
      for (std::int64_t r : splits.at("test").rows())
        if (r == 0 || input.pseudonyms[r] != input.pseudonyms[r - 1]) ++per_class[input.labels[r]];
      EXPECT_NEAR(per_class[0], 7.0, 1.0) << fold;
      EXPECT_NEAR(per_class[1], 6.8, 1.0) << fold;
      // val is data.split.val of the other patients; the three splits are disjoint.
      EXPECT_NEAR(static_cast<double>(val.size()), 0.2 * (103.0 - test.size()), 2.0);
      EXPECT_EQ(test.size() + val.size() + train.size(), everyone.size());
      for (const std::string& p : test) EXPECT_EQ(val.count(p) + train.count(p), 0u);
      for (const std::string& p : val) EXPECT_EQ(train.count(p), 0u);
    }
    EXPECT_EQ(test_patients, everyone.size()) << "every patient in exactly one test fold";
    EXPECT_EQ(tested, everyone);
  }
}

TEST(CrossValidation, DeterministicFromSeedAndRepeatNeverFromPseudonyms) {
  const SplitInput input = patients_input(50, 2);
  SplitInput rekeyed = input;
  for (std::string& p : rekeyed.pseudonyms) p = sha256_hex(std::string_view("k2" + p));
  DataConfig config;
  config.test_fraction = 0;
  config.val_fraction = 0;
  config.cv_folds = 4;
  config.cv_repeats = 3;
  config.cv_fold = 1;
  const auto first = split_dataset(input, config);
  EXPECT_EQ(first.count("val"), 0u);  // val 0: no val split
  EXPECT_EQ(split_dataset(input, config).at("test").shards, first.at("test").shards);
  EXPECT_EQ(split_dataset(rekeyed, config).at("test").shards, first.at("test").shards);
  config.cv_repeat = 2;
  EXPECT_NE(split_dataset(input, config).at("test").shards, first.at("test").shards);
  config.cv_repeat = 0;
  config.split_seed = 7;
  EXPECT_NE(split_dataset(input, config).at("test").shards, first.at("test").shards);
}

TEST(CrossValidation, BadSettingsSayWhatToChange) {
  const SplitInput input = patients_input(8, 2);
  DataConfig config;
  config.cv_folds = 4;
  EXPECT_CONTAINS(user_error_of([&] { split_dataset(input, config); }),
                  "with cv.folds the test split is fold cv.fold: set data.split.test: 0");
  config.test_fraction = 0;
  config.cv_fold = 4;
  EXPECT_CONTAINS(user_error_of([&] { split_dataset(input, config); }), "cv.fold is 4");
  config.cv_folds = 10;  // 8 patients: folds 8 and 9 are empty
  config.cv_fold = 9;
  config.shards = 1;
  EXPECT_CONTAINS(user_error_of([&] { split_dataset(input, config); }),
                  "split 'test' is empty: 8 patients are too few for these fractions; lower "
                  "cv.folds");
  config.cv_fold = 7;
  EXPECT_EQ(split_dataset(input, config).at("test").num_patients, 1);
}

// Rows are samples: a patient's rows may have different events; they stay in one split, and
// the patient is stratified on having any event.
TEST(SplitFractions, APatientsRowsWithDifferentEventsStayTogether) {
  const std::string dir = scratch("two_events");
  std::string text = "id,age,t,e\nA,50,10,1\nB,60,5,0\nA,50,12,0\n";
  for (int p = 0; p < 30; ++p)
    for (int visit = 0; visit < 1 + p % 3; ++visit)
      text += "P" + std::to_string(p) + "," + std::to_string(40 + visit) + "," +
              std::to_string(10 + visit) + "," + std::to_string((p + visit) % 2) + "\n";
  write_file_atomic(dir + "/s.csv", text);
  Config config;
  config.data = survival_config();
  config.data.csv = dir + "/s.csv";
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  config.privacy.key_file = new_key(dir);
  const ShardResult result = quiet_shard(config);
  std::map<std::string, std::set<std::string>> splits_of;
  std::int64_t samples = 0, patients = 0;
  for (const auto& [name, split] : result.manifest.splits) {
    samples += split.num_samples;
    patients += split.num_patients;
    for (const ShardData& shard : read_split(result, name))
      for (const std::string& pseudonym : shard.pseudonyms) splits_of[pseudonym].insert(name);
  }
  EXPECT_EQ(samples, 3 + 60);  // 30 patients with 1, 2 or 3 rows, plus A (2) and B (1)
  EXPECT_EQ(patients, 32);
  EXPECT_EQ(splits_of.size(), 32u);
  for (const auto& [pseudonym, names] : splits_of) EXPECT_EQ(names.size(), 1u);
  const std::string report = read_file(result.shard_dir + "/privacy_report.json");
  EXPECT_CONTAINS(report, "\"patients_in_more_than_one_split\": 0");
  EXPECT_CONTAINS(report, "shard was read back: 63 samples of 32 patients");
}

// Event codes as R's survival package and competing-outcome tables write them.
TEST(SurvivalEncoding, EventCodesMapRawValuesAndRefuseOthersByLine) {
  DataConfig config = survival_config();
  config.event_values = {"2"};
  config.censored_values = {"1"};
  EncodedTable t = encode_table(csv_of("id,age,t,e\nA,50,1,2\nB,60,2,1\nC,70,3,2.0\n"), config);
  EXPECT_EQ(t.event, (std::vector<std::uint8_t>{1, 0, 1}));
  std::string message =
      user_error_of([&] { encode_table(csv_of("id,age,t,e\nA,50,1,2\nB,60,2,0\n"), config); });
  EXPECT_CONTAINS(message, "t.csv:3: column 'e' (data.event): a value that is in neither "
                           "data.event_values [2] nor data.censored_values [1] (value not shown)");
  // Competing outcomes (0 censored, 1 transplant, 2 death), death the event of interest.
  config.event_values = {"2"};
  config.censored_values = {"0", "1"};
  t = encode_table(csv_of("id,age,t,e\nA,50,1,0\nB,60,2,1\nC,70,3,2\n"), config);
  EXPECT_EQ(t.event, (std::vector<std::uint8_t>{0, 0, 1}));
  config.censored_values = {"1", "2"};
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("id,age,t,e\nA,50,1,0\n"), config); }),
                  "data.event_values and data.censored_values both hold 2");
  DataConfig classification;
  classification.label_column = "e";
  classification.numeric = {"*"};
  classification.event_values = {"2"};
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("id,e\n1,0\n2,1\n"), classification); }),
                  "data.event_values and data.censored_values are for data.task: survival");
}

TEST(FeatureTransforms, AppliedBeforeStandardisationAndRecordedWithTheirDomain) {
  DataConfig config = survival_config();
  config.transforms = {"bili=log", "age=log1p", "alb=clip:2:4"};
  config.missing = "impute";
  const std::string header = "id,age,bili,alb,t,e\n";
  EncodedTable t = encode_table(
      csv_of(header + "A,0,1,1.5,1,1\nB,9,2.718281828459045,3,2,0\nC,99,,9,3,1\n"), config);
  ASSERT_EQ(t.num_features(), 3u);
  EXPECT_EQ(t.features[0].transform, "log1p");
  EXPECT_EQ(t.features[1].transform, "log");
  EXPECT_EQ(t.features[2].transform, "clip:2:4");
  // Row-major [rows x (age, bili, alb)], before standardisation; a missing value stays missing.
  EXPECT_DOUBLE_EQ(t.values[0], 0.0);
  EXPECT_DOUBLE_EQ(t.values[1], 0.0);
  EXPECT_DOUBLE_EQ(t.values[2], 2.0);
  EXPECT_DOUBLE_EQ(t.values[3], std::log(10.0));
  EXPECT_NEAR(t.values[4], 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(t.values[5], 3.0);
  EXPECT_DOUBLE_EQ(t.values[6], std::log(100.0));
  EXPECT_TRUE(std::isnan(t.values[7]));
  EXPECT_DOUBLE_EQ(t.values[8], 4.0);

  std::string message = user_error_of(
      [&] { encode_table(csv_of(header + "A,1,1,3,1,1\nB,2,0.000,3,2,0\n"), config); });
  EXPECT_CONTAINS(message, "t.csv:3: column 'bili' (data.transforms: bili=log): a value outside "
                           "the transform's domain (log needs values > 0; value not shown)");
  EXPECT_EQ(message.find("0.000"), std::string::npos) << message;
  auto refused = [&](const std::vector<std::string>& transforms) {
    DataConfig c = survival_config();
    c.transforms = transforms;
    return user_error_of([&] { encode_table(csv_of(header + "A,1,1,3,1,1\n"), c); });
  };
  EXPECT_CONTAINS(refused({"bili=exp"}), "data.transforms[0] 'bili=exp': unknown transform 'exp'");
  EXPECT_CONTAINS(refused({"alb=clip:4:2"}), "clip takes two numbers LOW < HIGH");
  EXPECT_CONTAINS(refused({"bilirubin=log"}), "data.transforms names column 'bilirubin'");
  EXPECT_CONTAINS(refused({"t=log"}), "column 't' of t.csv is not a numeric feature");
  EXPECT_CONTAINS(refused({"bili=log", "bili=sqrt"}), "has a transform already");
}

TEST(SplitWhole, EveryRowInOneSplitDealtToShards) {
  const SplitInput input = patients_input(20, 2);  // 39 rows: patient i has 1 + i % 3
  ASSERT_EQ(input.labels.size(), 39u);
  DataConfig config;
  config.shards = 3;
  SplitPart part = split_whole(input, config, "test");
  EXPECT_EQ(part.num_patients, 20);
  EXPECT_EQ(part.class_counts, (std::vector<std::int64_t>{19, 20}));
  std::vector<std::int64_t> rows = part.rows();
  EXPECT_EQ(std::set<std::int64_t>(rows.begin(), rows.end()).size(), 39u);
  for (const auto& shard : part.shards) EXPECT_EQ(shard.size(), 13u);
  config.shards = 40;
  EXPECT_CONTAINS(user_error_of([&] { split_whole(input, config, "test"); }),
                  "split 'test' has 39 samples but data.shards is 40");
}

// ---------------------------------------------------------------- shard /target, versions

ShardData target_shard() {
  ShardData shard;
  shard.split = "train";
  shard.num_features = 1;
  for (int i = 0; i < 3; ++i) {
    shard.pseudonyms.push_back(sha256_hex(std::string_view("p" + std::to_string(i))));
    shard.labels.push_back(0);
    shard.features.push_back(static_cast<float>(i));
    shard.target.push_back(150.5f - 50 * i);
  }
  return shard;
}

void set_minor_version(const std::string& path, std::int64_t minor) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t attr = H5Aopen(file, "format_version_minor", H5P_DEFAULT);
  H5Awrite(attr, H5T_NATIVE_INT64, &minor);
  H5Aclose(attr);
  H5Fclose(file);
}

TEST(ShardTarget, RoundTripAndALengthMismatchNamesTheFile) {
  const std::string dir = scratch("target");
  write_shard(dir + "/a.h5", target_shard());
  ShardData back = read_shard(dir + "/a.h5");
  EXPECT_EQ(back.target, (std::vector<float>{150.5f, 100.5f, 50.5f}));
  EXPECT_TRUE(back.time.empty());

  // A /target of 2 values in a 3-sample shard, written by hand.
  hid_t file = H5Fopen((dir + "/a.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, "/target", H5P_DEFAULT);
  hsize_t two = 2;
  float values[2] = {1, 2};
  hid_t space = H5Screate_simple(1, &two, nullptr);
  hid_t dataset = H5Dcreate2(file, "/target", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
  H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
  std::string message = user_error_of([&] { read_shard(dir + "/a.h5"); });
  EXPECT_CONTAINS(message, dir + "/a.h5");
  EXPECT_CONTAINS(message, "has /target that is not one number per sample");
}

// 1.3 adds only /extent (segmentation; tests/unit/test_segmentation_shard.cpp), 1.4 the chunk
// index of image shards (tests/unit/test_chunk_index.cpp): a table shard still records 1.2, the
// lowest version that describes it.
TEST(ShardTarget, FormatOneTwoWrittenAndOneZeroToOneTwoRead) {
  EXPECT_EQ(kShardFormatMinor, 4);
  const std::string dir = scratch("versions");
  ShardData tabular = target_shard();
  tabular.target.clear();
  write_shard(dir + "/s.h5", tabular);
  hid_t file = H5Fopen((dir + "/s.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t attr = H5Aopen(file, "format_version_minor", H5P_DEFAULT);
  std::int64_t minor = -1;
  H5Aread(attr, H5T_NATIVE_INT64, &minor);
  H5Aclose(attr);
  H5Fclose(file);
  EXPECT_EQ(minor, 2);
  for (std::int64_t older : {0, 1, 2, 3, 4}) {
    set_minor_version(dir + "/s.h5", older);
    EXPECT_EQ(read_shard(dir + "/s.h5").features, tabular.features) << older;
  }
}

// ---------------------------------------------------------------- manifest

TEST(ManifestTasks, TaskTargetStatsCvAndTestTableRoundTripOlderManifestsAreClassification) {
  const std::string dir = scratch("manifest");
  Manifest m;
  m.task = "regression";
  m.label_column = "y";
  m.target_mean = 152.25;
  m.target_std = 77.5;
  m.cv = CvInfo{10, 3, 7, 2};
  m.test_table = TestTableInfo{"gbsg.csv", std::string(64, 'b'), 686, {{"missing value", 1}},
                               "separate"};
  save_manifest(dir, m);
  Manifest back = load_manifest(dir);
  EXPECT_EQ(back.format_version_minor, 4);
  EXPECT_EQ(back.task, "regression");
  EXPECT_EQ(back.target_mean, 152.25);
  EXPECT_EQ(back.target_std, 77.5);
  ASSERT_TRUE(back.cv && back.test_table);
  EXPECT_EQ(back.cv->folds, 10);
  EXPECT_EQ(back.cv->fold, 7);
  EXPECT_EQ(back.cv->repeat, 2);
  EXPECT_EQ(back.test_table->rows, 686);
  EXPECT_EQ(back.test_table->patients, "separate");
  EXPECT_EQ(back.test_table->rejected_rows.at("missing value"), 1);

  m = Manifest{};
  m.task = "survival";
  m.time_column = "time";
  m.event_column = "event";
  save_manifest(dir, m);
  back = load_manifest(dir);
  EXPECT_EQ(back.time_column, "time");
  EXPECT_FALSE(back.cv || back.test_table);

  // A 1.2 manifest (no task, cv or test table) is a classification dataset.
  std::string text = read_file(dir + "/manifest.json");
  for (const std::string& field :
       {",\n  \"task\": \"survival\"", ",\n  \"time_column\": \"time\"",
        ",\n  \"event_column\": \"event\"", ",\n  \"cv\": null", ",\n  \"test_table\": null"}) {
    ASSERT_NE(text.find(field), std::string::npos) << field;
    text.erase(text.find(field), field.size());
  }
  write_file_atomic(dir + "/manifest.json", text);
  back = load_manifest(dir);
  EXPECT_EQ(back.task, "classification");
  EXPECT_FALSE(back.cv || back.test_table);
}

// ---------------------------------------------------------------- whole runs

Config from_test_config(const std::string& name, const std::string& dir,
                        std::vector<std::string> overrides = {}) {
  overrides.push_back("data.shard_dir=" + dir + "/shards");
  overrides.push_back("privacy.key_file=" + new_key(dir));
  return load_config(source_file("tests/configs/" + name), overrides);
}

struct Covariates {
  std::vector<double> x;  // 7 per patient: hormon, size, meno, age, nodes, pgr, er
  double time = 0;
  int event = 0;
};

// pid -> the row of a derived Rotterdam/GBSG table.
std::map<std::string, Covariates> read_cohort(const std::string& file) {
  const CsvTable table = read_csv(source_file("data/rotterdam_gbsg/" + file));
  std::map<std::string, Covariates> rows;
  for (const CsvRow& row : table.rows) {
    Covariates c;
    for (int k = 1; k <= 7; ++k) c.x.push_back(std::stod(row.fields[k]));
    c.time = std::stod(row.fields[8]);
    c.event = std::stoi(row.fields[9]);
    rows[row.fields[0]] = c;
  }
  return rows;
}

TEST(TaskData, PrepareDeepsurvRebuildsTheCommittedTablesAndChecksItsCounts) {
  const std::string dir = scratch("prepare_deepsurv");
  const std::string data = source_file("data/rotterdam_gbsg");
  for (const char* name : {"rotterdam.csv", "gbsg.csv"})
    fs::copy_file(data + "/" + name, dir + "/" + name);
  const std::string script = "/usr/bin/python3 " + data + "/prepare_deepsurv.py " + dir;
  const test::Output run = test::run_in(dir, script);
  ASSERT_EQ(run.code, 0) << run.text;
  EXPECT_CONTAINS(run.text, "1546 patients, 1080 events");
  EXPECT_CONTAINS(run.text, "686 patients, 299 events");
  for (const char* name : {"rotterdam_node_positive_rfs.csv", "gbsg_deepsurv.csv"})
    EXPECT_EQ(read_file(dir + "/" + name), read_file(data + "/" + name)) << name;
  // A source that is not the documented one stops the script before it writes anything.
  std::string gbsg = read_file(dir + "/gbsg.csv");
  write_file_atomic(dir + "/gbsg.csv", gbsg.substr(0, gbsg.rfind('\n', gbsg.size() - 2) + 1));
  fs::remove(dir + "/gbsg_deepsurv.csv");
  const test::Output bad = test::run_in(dir, script);
  EXPECT_NE(bad.code, 0);
  EXPECT_CONTAINS(bad.text, "gbsg.csv rows is 685, expected 686");
  EXPECT_FALSE(fs::exists(dir + "/gbsg_deepsurv.csv"));
}

TEST(TaskPipeline, RotterdamSurvivalWithGbsgAsTheExternalTestTable) {
  const std::string dir = scratch("rotterdam_gbsg");
  const Config config = from_test_config("rotterdam-gbsg-survival.yaml", dir);
  const ShardResult result = quiet_shard(config);
  const Manifest m = load_manifest(result.shard_dir);
  EXPECT_EQ(m.task, "survival");
  EXPECT_EQ(m.time_column, "time");
  EXPECT_EQ(m.event_column, "event");
  EXPECT_EQ(m.classes, (std::vector<std::string>{"censored", "event"}));
  EXPECT_EQ(m.splits.size(), 2u);  // train and test: val 0
  EXPECT_EQ(m.splits.at("train").class_counts, (std::vector<std::int64_t>{466, 1080}));
  EXPECT_EQ(m.splits.at("test").class_counts, (std::vector<std::int64_t>{387, 299}));
  EXPECT_EQ(m.splits.at("test").num_patients, 686);
  ASSERT_TRUE(m.test_table.has_value());
  EXPECT_EQ(m.test_table->file, "gbsg_deepsurv.csv");
  EXPECT_EQ(m.test_table->sha256,
            sha256_file_hex(source_file("data/rotterdam_gbsg/gbsg_deepsurv.csv")));
  EXPECT_EQ(m.test_table->rows, 686);
  EXPECT_EQ(m.test_table->patients, "separate");
  EXPECT_EQ(m.source_rows, 1546);
  std::vector<std::string> names;
  for (const FeatureInfo& f : m.features) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"hormon", "size", "meno", "age", "nodes", "pgr", "er"}));

  // Train statistics only: the manifest's means are Rotterdam's.
  const auto rotterdam = read_cohort("rotterdam_node_positive_rfs.csv");
  const auto gbsg = read_cohort("gbsg_deepsurv.csv");
  std::vector<double> mean(7, 0.0), sq(7, 0.0);
  for (const auto& [pid, c] : rotterdam)
    for (int k = 0; k < 7; ++k) mean[k] += c.x[k] / 1546.0;
  for (const auto& [pid, c] : rotterdam)
    for (int k = 0; k < 7; ++k) sq[k] += (c.x[k] - mean[k]) * (c.x[k] - mean[k]) / 1546.0;
  for (int k = 0; k < 7; ++k) {
    EXPECT_NEAR(m.features[k].mean, mean[k], 1e-9 * std::max(1.0, mean[k])) << names[k];
    EXPECT_NEAR(m.features[k].std, std::sqrt(sq[k]), 1e-9 * std::max(1.0, sq[k])) << names[k];
  }

  // Each shard row is its source row: time, event and features standardised with Rotterdam's
  // statistics; GBSG pseudonyms are those of "test:<pid>".
  const Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  for (const auto& [split, cohort, prefix] :
       {std::tuple{"train", &rotterdam, ""}, std::tuple{"test", &gbsg, "test:"}}) {
    std::map<std::string, const Covariates*> by_pseudonym;
    for (const auto& [pid, c] : *cohort) by_pseudonym[pseudonymize(prefix + pid)] = &c;
    std::size_t seen = 0;
    for (const ShardData& shard : read_split(result, split)) {
      ASSERT_EQ(shard.time.size(), static_cast<std::size_t>(shard.num_samples()));
      for (std::int64_t i = 0; i < shard.num_samples(); ++i, ++seen) {
        const Covariates& c = *by_pseudonym.at(shard.pseudonyms[i]);
        ASSERT_EQ(shard.time[i], static_cast<float>(c.time));
        ASSERT_EQ(shard.event[i], c.event);
        ASSERT_EQ(shard.labels[i], c.event);
        for (int k = 0; k < 7; ++k)
          ASSERT_NEAR(shard.features[i * 7 + k], (c.x[k] - mean[k]) / std::sqrt(sq[k]), 1e-5);
      }
    }
    EXPECT_EQ(seen, cohort->size()) << split;
  }

  // Both tables are accounted for in the privacy report and the audit log.
  const std::string report = read_file(result.shard_dir + "/privacy_report.json");
  EXPECT_CONTAINS(report, "\"file\": \"gbsg_deepsurv.csv\"");
  EXPECT_CONTAINS(report, "prefixed with 'test:'");
  EXPECT_CONTAINS(read_file(result.shard_dir + "/privacy_report.md"),
                  "## External test table (data.test_csv)\n\n- File: gbsg_deepsurv.csv");
  const std::string audit = read_file(result.shard_dir + "/audit.jsonl");
  EXPECT_CONTAINS(audit, "rotterdam_node_positive_rfs.csv");
  EXPECT_CONTAINS(audit, m.source_sha256);
  EXPECT_CONTAINS(audit, m.test_table->sha256);
  EXPECT_CONTAINS(audit, "\"test_table\":{\"decision\":\"not assessed\"");
}

// What the trainer sees: encrypted shards, decrypted by RankShards, give every GBSG patient's
// time and event under its pseudonym, and every diabetes patient's raw target.
TEST(TaskPipeline, EncryptedSurvivalAndRegressionShardsThroughRankShards) {
  const std::string dir = scratch("encrypted_tasks");
  const Config survival =
      from_test_config("rotterdam-gbsg-survival.yaml", dir, {"privacy.encrypt=true"});
  quiet_shard(survival);
  const SecretKey key = load_key_file(survival.privacy.key_file);
  const DataKeys keys(key);
  const Pseudonymizer pseudonymize(key);
  const Manifest m = load_manifest(survival.data.shard_dir, &keys);
  ASSERT_TRUE(m.encryption.has_value());
  const auto gbsg = read_cohort("gbsg_deepsurv.csv");
  std::map<std::string, const Covariates*> by_pseudonym;
  for (const auto& [pid, c] : gbsg) by_pseudonym[pseudonymize("test:" + pid)] = &c;
  std::size_t seen = 0;
  for (int rank = 0; rank < 2; ++rank) {
    RankShards test(survival.data.shard_dir, m, "test", 2, rank, &keys);
    const std::vector<SampleRef> samples = test.all_owned_samples();
    std::vector<float> time(samples.size()), event(samples.size());
    test.gather_survival(samples, time.data(), event.data());
    const std::vector<std::string> pseudonyms = test.pseudonyms(samples);
    for (std::size_t i = 0; i < samples.size(); ++i, ++seen) {
      const Covariates& c = *by_pseudonym.at(pseudonyms[i]);
      ASSERT_EQ(time[i], static_cast<float>(c.time));
      ASSERT_EQ(event[i], static_cast<float>(c.event));
    }
  }
  EXPECT_EQ(seen, 686u);

  make_directories(dir + "/diabetes");
  const Config regression = from_test_config("diabetes-regression.yaml", dir + "/diabetes",
                                             {"privacy.encrypt=true"});
  quiet_shard(regression);
  const DataKeys diabetes_keys(load_key_file(regression.privacy.key_file));
  const Manifest d = load_manifest(regression.data.shard_dir, &diabetes_keys);
  RankShards train(regression.data.shard_dir, d, "train", 1, 0, &diabetes_keys);
  const std::vector<SampleRef> samples = train.all_owned_samples();
  std::vector<float> target(samples.size());
  train.gather_targets(samples, target.data());
  double sum = 0;
  for (float y : target) sum += y;
  EXPECT_NEAR(sum / static_cast<double>(samples.size()), d.target_mean, 1e-3);
  EXPECT_GE(*std::min_element(target.begin(), target.end()), 25.0f);  // raw: y is in 25-346
  EXPECT_LE(*std::max_element(target.begin(), target.end()), 346.0f);
}

TEST(TaskPipeline, OverlappingPidsWithoutSeparatePatientsAreRefusedByLine) {
  const std::string dir = scratch("rotterdam_shared_ids");
  const Config config =
      from_test_config("rotterdam-gbsg-survival.yaml", dir, {"data.test_patients=shared"});
  std::string message = user_error_of([&] { quiet_shard(config); });
  // The first GBSG row whose pid is also a Rotterdam pid, and that Rotterdam row.
  const CsvTable rotterdam = read_csv(config.data.csv), gbsg = read_csv(config.data.test_csv);
  std::map<std::string, std::int64_t> rotterdam_line;
  for (const CsvRow& row : rotterdam.rows) rotterdam_line.emplace(row.fields[0], row.line);
  std::string expected;
  for (const CsvRow& row : gbsg.rows) {
    auto it = rotterdam_line.find(row.fields[0]);
    if (it == rotterdam_line.end()) continue;
    expected = config.data.test_csv + ":" + std::to_string(row.line) + " and " + config.data.csv +
               ":" + std::to_string(it->second) + " have the same patient ID (column 'pid')";
    break;
  }
  EXPECT_CONTAINS(message, expected);
  EXPECT_CONTAINS(message, "data.test_patients: separate");
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
}

TEST(TaskPipeline, APatientInBothTablesIsNamedByLinesNeverById) {
  const std::string dir = scratch("shared_patient");
  write_file_atomic(dir + "/main.csv", "id,x,y\nPAT-1-DUPONT,1,a\nPAT-2-MARTIN,2,b\n"
                                       "PAT-3-PETIT,3,a\nPAT-4-DUBOIS,4,b\n");
  write_file_atomic(dir + "/test.csv", "id,x,y\nPAT-9-ROBERT,1,a\nPAT-3-PETIT,5,b\n");
  Config config;
  config.data.csv = dir + "/main.csv";
  config.data.test_csv = dir + "/test.csv";
  config.data.patient_id_column = "id";
  config.data.label_column = "y";
  config.data.numeric = {"x"};
  config.data.shards = 1;
  config.data.val_fraction = 0;
  config.data.test_fraction = 0.15;
  config.data.shard_dir = dir + "/shards";
  config.privacy.key_file = new_key(dir);
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "data.test_csv is set: all its rows form the test split, so set "
                  "data.split.test: 0");
  config.data.test_fraction = 0;
  std::string message = user_error_of([&] { quiet_shard(config); });
  EXPECT_CONTAINS(message, "test.csv:3 and " + dir + "/main.csv:4 have the same patient ID");
  EXPECT_EQ(message.find("PETIT"), std::string::npos) << message;
  config.data.test_patients = "separate";
  const ShardResult result = quiet_shard(config);
  EXPECT_EQ(result.manifest.splits.at("test").num_patients, 2);
  EXPECT_EQ(result.manifest.splits.at("train").num_patients, 4);
}

TEST(TaskPipeline, DiabetesRegressionStoresTheRawTargetAndTrainStatistics) {
  const std::string dir = scratch("diabetes");
  const Config config = from_test_config("diabetes-regression.yaml", dir);
  const ShardResult result = quiet_shard(config);
  const Manifest m = load_manifest(result.shard_dir);
  EXPECT_EQ(m.task, "regression");
  EXPECT_EQ(m.label_column, "y");
  EXPECT_EQ(m.classes, (std::vector<std::string>{"all"}));
  EXPECT_EQ(m.num_features(), 10);  // y is the target, not a feature
  const CsvTable csv = read_csv(config.data.csv);
  const Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::map<std::string, double> y_of;  // pseudonym of "row:<line>" -> y
  for (const CsvRow& row : csv.rows)
    y_of[pseudonymize("row:" + std::to_string(row.line))] = std::stod(row.fields[10]);
  std::int64_t total = 0;
  for (const auto& [name, split] : m.splits) {
    EXPECT_EQ(split.class_counts, (std::vector<std::int64_t>{split.num_samples})) << name;
    double sum = 0, squares = 0;
    std::int64_t n = 0;
    for (const ShardData& shard : read_split(result, name)) {
      ASSERT_EQ(shard.target.size(), static_cast<std::size_t>(shard.num_samples()));
      for (std::int64_t i = 0; i < shard.num_samples(); ++i, ++n) {
        const double y = y_of.at(shard.pseudonyms[i]);
        ASSERT_EQ(shard.target[i], static_cast<float>(y));  // raw, not standardised
        sum += y;
        squares += y * y;
      }
    }
    total += n;
    if (name != "train") continue;
    const double mean = sum / n;
    EXPECT_NEAR(m.target_mean, mean, 1e-9 * mean);
    EXPECT_NEAR(m.target_std, std::sqrt(squares / n - mean * mean), 1e-6);
    EXPECT_GT(m.target_std, 50.0);  // y spans 25-346
  }
  EXPECT_EQ(total, 442);
  EXPECT_EQ(m.splits.at("test").num_patients, 66);  // 442 x 0.15, one class
}

TEST(TaskPipeline, WdbcFiveFoldCrossValidationPartitionsThePatients) {
  const std::string dir = scratch("wdbc_cv");
  Config config;
  config.data.csv = source_file("data/wdbc/breast_cancer_wdbc.csv");
  config.data.label_column = "target";
  config.data.classes = {"1", "0"};
  config.data.numeric = {"*"};
  config.data.shards = 2;
  config.data.val_fraction = 0.1;
  config.data.test_fraction = 0;
  config.data.cv_folds = 5;
  config.privacy.key_file = new_key(dir);
  std::set<std::string> tested;
  std::size_t test_samples = 0;
  std::int64_t malignant = 0;
  for (int fold = 0; fold < 5; ++fold) {
    config.data.cv_fold = fold;
    config.data.shard_dir = dir + "/fold" + std::to_string(fold);
    const ShardResult result = quiet_shard(config);
    const Manifest m = load_manifest(result.shard_dir);
    ASSERT_TRUE(m.cv.has_value());
    EXPECT_EQ(m.cv->folds, 5);
    EXPECT_EQ(m.cv->fold, fold);
    EXPECT_EQ(m.cv->repeats, 1);
    std::int64_t all = 0;
    for (const auto& [name, split] : m.splits) all += split.num_samples;
    EXPECT_EQ(all, 569);
    EXPECT_NEAR(m.splits.at("test").class_counts[1], 212 / 5.0, 1.0);  // stratified
    malignant += m.splits.at("test").class_counts[1];
    for (const ShardData& shard : read_split(result, "test")) {
      test_samples += shard.pseudonyms.size();
      tested.insert(shard.pseudonyms.begin(), shard.pseudonyms.end());
    }
  }
  EXPECT_EQ(test_samples, 569u);
  EXPECT_EQ(tested.size(), 569u);  // every patient tested exactly once
  EXPECT_EQ(malignant, 212);
}

TEST(TaskPipeline, NoValAndNoTestSplitWithoutCv) {
  const std::string dir = scratch("train_only");
  Config config = from_test_config("diabetes-regression.yaml", dir,
                                   {"data.split.val=0", "data.split.test=0"});
  const ShardResult result = quiet_shard(config);
  ASSERT_EQ(result.manifest.splits.size(), 1u);
  EXPECT_EQ(result.manifest.splits.at("train").num_samples, 442);
  EXPECT_EQ(load_manifest(result.shard_dir).splits.count("val"), 0u);
}

}  // namespace
}  // namespace galien
