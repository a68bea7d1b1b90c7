#include <gtest/gtest.h>
#include <hdf5.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/random.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"
#include "datasets/shard.h"
#include "datasets/shard_pipeline.h"
#include "datasets/split.h"
#include "datasets/tabular.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// A fresh, empty scratch directory per test.
std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/datasets/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

using test::user_error_of;


CsvTable csv_of(const std::string& text) { return parse_csv(text, "t.csv"); }

DataConfig numeric_config(std::vector<std::string> numeric) {
  DataConfig config;
  config.label_column = "y";
  config.numeric = std::move(numeric);
  return config;
}

std::string fake_pseudonym(int i) { return sha256_hex(std::string_view("p" + std::to_string(i))); }

// ---------------------------------------------------------------- CSV

TEST(Csv, QuotedFieldsCommasEscapedQuotesCrlfAndLineNumbers) {
  CsvTable t = csv_of("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",3\r\n\"two\nlines\",,6\n\n7,8,9\n");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].fields, (std::vector<std::string>{"x, y", "say \"hi\"", "3"}));
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[1].fields, (std::vector<std::string>{"two\nlines", "", "6"}));
  EXPECT_EQ(t.rows[1].line, 3);
  EXPECT_EQ(t.rows[2].line, 6);  // after the two-line record and a blank line
  EXPECT_EQ(t.column_index("c"), 2);
  EXPECT_EQ(t.column_index("z"), -1);
}

TEST(Csv, LastRecordWithoutNewlineAndByteOrderMark) {
  CsvTable t = csv_of("\xEF\xBB\xBFid,v\n1,\"2\"");
  EXPECT_EQ(t.header[0], "id");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0].fields[1], "2");
}

TEST(Csv, RaggedRowNamesFileAndLine) {
  std::string message = user_error_of([] { csv_of("a,b,c\n1,2,3\n4,5\n"); });
  EXPECT_CONTAINS(message, "t.csv:3: expected 3 fields, found 2");
}

TEST(Csv, MalformedQuotingAndHeaderAreRefused) {
  EXPECT_CONTAINS(user_error_of([] { csv_of("a,b\n1,\"open\n"); }), "t.csv:2: quoted field");
  EXPECT_CONTAINS(user_error_of([] { csv_of("a,b\n\"x\"y,2\n"); }), "t.csv:2:");
  EXPECT_CONTAINS(user_error_of([] { csv_of("a,a\n1,2\n"); }), "'a' appears twice");
  EXPECT_CONTAINS(user_error_of([] { csv_of(""); }), "empty file");
}

// ---------------------------------------------------------------- tabular

TEST(Tabular, NonNumericValueNamesLineAndColumn) {
  std::string message =
      user_error_of([] { encode_table(csv_of("x,y\n1,a\nabc,b\n"), numeric_config({"x"})); });
  EXPECT_CONTAINS(message, "t.csv:3: column 'x': the value is not a number");
  EXPECT_EQ(message.find("abc"), std::string::npos) << "cell contents must not be quoted";
}

TEST(Tabular, NanAndInfinityTextAreRefused) {
  DataConfig config = numeric_config({"x"});
  config.missing = "impute";
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\ninf,a\n1,b\n"), config); }),
                  "t.csv:2: column 'x': 'inf' is not a finite number");
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,a\n-nan,b\n"), config); }),
                  "t.csv:3: column 'x': '-nan' is not a finite number");
  // The missing-value marker NaN follows data.missing: here, `error`.
  EXPECT_CONTAINS(
      user_error_of([] { encode_table(csv_of("x,y\nNaN,a\n1,b\n"), numeric_config({"x"})); }),
      "t.csv:2: missing value in column 'x' (set data.missing: drop_row or impute)");
}

TEST(Tabular, MissingLabelNamesLine) {
  DataConfig config = numeric_config({"x"});
  config.missing = "impute";  // labels are never imputed
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,a\n2,\n3,b\n"), config); }),
                  "t.csv:3: missing label in column 'y'");
}

TEST(Tabular, UnknownColumnGetsSuggestion) {
  DataConfig config = numeric_config({"mean_radus"});
  std::string message =
      user_error_of([&] { encode_table(csv_of("mean_radius,y\n1,a\n2,b\n"), config); });
  EXPECT_CONTAINS(message, "data.numeric names column 'mean_radus', which is not in t.csv");
  EXPECT_CONTAINS(message, "did you mean 'mean_radius'?");
}

TEST(Tabular, UnaccountedColumnsAreListedNeverDropped) {
  std::string message = user_error_of(
      [] { encode_table(csv_of("x,name,y,ssn\n1,n,a,s\n2,m,b,t\n"), numeric_config({"x"})); });
  EXPECT_CONTAINS(message, "'name', 'ssn'");
  EXPECT_CONTAINS(message, "data.drop");
}

TEST(Tabular, ColumnNamedTwiceIsRefused) {
  DataConfig config = numeric_config({"x"});
  config.drop = {"x"};
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("x,y\n1,a\n"), config); }),
                  "named in both data.numeric and data.drop");
}

TEST(Tabular, StarTakesRemainingColumnsAndClassesMapLabels) {
  DataConfig config = numeric_config({"*"});
  config.drop = {"name"};
  config.classes = {"1", "0"};
  EncodedTable t = encode_table(csv_of("a,name,b,y\n1,n,2,0\n3,m,4,1\n"), config);
  ASSERT_EQ(t.num_features(), 2u);
  EXPECT_EQ(t.features[0].name, "a");
  EXPECT_EQ(t.features[1].name, "b");
  EXPECT_EQ(t.labels, (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(t.values, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(t.dropped_columns, (std::vector<std::string>{"name"}));
  EXPECT_EQ(t.patient_keys, (std::vector<std::string>{"row:2", "row:3"}));
  EXPECT_CONTAINS(user_error_of([&] { encode_table(csv_of("a,name,b,y\n1,n,2,7\n"), config); }),
                  "t.csv:2: label '7' in column 'y' is not one of data.classes");
}

TEST(Tabular, EmptyClassesAreSortedUniqueLabels) {
  EncodedTable t = encode_table(csv_of("x,y\n1,b\n2,a\n3,c\n4,a\n"), numeric_config({"x"}));
  EXPECT_EQ(t.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.labels, (std::vector<std::int64_t>{1, 0, 2, 0}));
}

TEST(Tabular, CategoricalIsOneHotWithSortedCategories) {
  DataConfig config = numeric_config({"x"});
  config.categorical = {"size"};
  EncodedTable t = encode_table(csv_of("size,x,y\nS,1,a\nL,2,b\nM,3,a\n"), config);
  ASSERT_EQ(t.num_features(), 4u);
  EXPECT_EQ(t.features[0].name, "size=L");
  EXPECT_EQ(t.features[0].kind, "onehot");
  EXPECT_EQ(t.features[0].source, "size");
  EXPECT_EQ(t.features[2].name, "size=S");
  EXPECT_EQ(t.features[3].name, "x");
  EXPECT_EQ(t.values, (std::vector<double>{0, 0, 1, 1,  //
                                           1, 0, 0, 2,  //
                                           0, 1, 0, 3}));
}

TEST(Tabular, DropRowRejectsAndCountsRows) {
  DataConfig config = numeric_config({"x"});
  config.categorical = {"c"};
  config.drop = {"note"};
  config.missing = "drop_row";
  EncodedTable t =
      encode_table(csv_of("x,c,y,note\n1,u,a,\nNA,u,b,z\n3,,a,\n4,v,,\n5,v,b,\n"), config);
  EXPECT_EQ(t.source_rows, 5);
  EXPECT_EQ(t.rejected_rows.at("missing value"), 3);  // the dropped column's gaps do not count
  EXPECT_EQ(t.lines, (std::vector<std::int64_t>{2, 6}));
}

TEST(Tabular, ImputeUsesTrainMeanAndMissingCategory) {
  DataConfig config = numeric_config({"x"});
  config.categorical = {"c"};
  config.missing = "impute";
  EncodedTable t = encode_table(csv_of("x,c,y\n1,u,a\nnull,,b\n5,u,a\n100,u,b\n"), config);
  EXPECT_EQ(t.features[1].name, "c=<missing>");
  standardise_features(t, {0, 1, 2});  // train: rows 0-2, so the mean is (1 + 5) / 2 = 3
  const FeatureInfo& x = t.features[0];
  EXPECT_DOUBLE_EQ(x.mean, 3.0);
  EXPECT_DOUBLE_EQ(x.std, std::sqrt(8.0 / 3.0));  // population std after imputation
  EXPECT_DOUBLE_EQ(t.values[1 * 3 + 0], 0.0);     // imputed value sits at the mean
  EXPECT_DOUBLE_EQ(t.values[3 * 3 + 0], 97.0 / std::sqrt(8.0 / 3.0));
  EXPECT_EQ(t.values[1 * 3 + 1], 1.0);
  EXPECT_EQ(t.features[1].std, 1.0);  // one-hot columns are not standardised
}

TEST(Tabular, ConstantColumnGetsUnitStd) {
  EncodedTable t = encode_table(csv_of("x,y\n0.1,a\n0.1,b\n0.1,a\n"), numeric_config({"x"}));
  standardise_features(t, {0, 1, 2});
  EXPECT_EQ(t.features[0].std, 1.0);
  for (double v : t.values) EXPECT_NEAR(v, 0.0, 1e-15);
}

// ---------------------------------------------------------------- split

TEST(Shuffle, SameOrderOnEveryPlatform) {
  // std::mt19937_64 is fully specified, and so are uniform_below and the Fisher-Yates loop:
  // this order must never change, or published splits could not be reproduced.
  std::mt19937_64 rng(42);
  std::vector<int> items{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  deterministic_shuffle(items, rng);
  EXPECT_EQ(items, (std::vector<int>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
}

// `patients` patients of `classes` classes (class = i % classes, except every 5th patient is class
// 0 to unbalance them); patient i has 1 + i % rows_each rows.
SplitInput synthetic_input(int patients, int classes, int rows_each) {
  SplitInput input;
  input.source = "s.csv";
  input.num_classes = static_cast<std::size_t>(classes);
  for (int i = 0; i < patients; ++i) {
    for (int k = 0; k <= i % rows_each; ++k) {
      input.lines.push_back(static_cast<std::int64_t>(input.lines.size()) + 2);
      input.pseudonyms.push_back(fake_pseudonym(i));
      input.labels.push_back(i % 5 == 0 ? 0 : i % classes);
    }
  }
  return input;
}

std::map<std::string, std::set<std::string>> patients_by_split(
    const SplitInput& input, const std::map<std::string, SplitPart>& splits) {
  std::map<std::string, std::set<std::string>> result;
  for (const auto& [name, part] : splits) {
    for (std::int64_t r : part.rows()) result[name].insert(input.pseudonyms[r]);
  }
  return result;
}

TEST(Split, NoPatientInTwoSplitsAndEveryRowOnce) {
  SplitInput input = synthetic_input(200, 3, 3);
  DataConfig config;
  config.shards = 3;
  auto splits = split_dataset(input, config);
  auto patients = patients_by_split(input, splits);
  std::multiset<std::int64_t> rows;
  for (const auto& [name, part] : splits) {
    for (std::int64_t r : part.rows()) rows.insert(r);
    EXPECT_EQ(part.num_patients, static_cast<std::int64_t>(patients[name].size()));
    std::size_t smallest = part.shards.front().size(), largest = smallest;
    for (const auto& shard : part.shards) {
      smallest = std::min(smallest, shard.size());
      largest = std::max(largest, shard.size());
    }
    EXPECT_LE(largest - smallest, 1u) << name;
  }
  EXPECT_EQ(rows.size(), input.labels.size());
  EXPECT_EQ(std::set<std::int64_t>(rows.begin(), rows.end()).size(), input.labels.size());
  for (const std::string& p : patients["train"]) {
    EXPECT_EQ(patients["val"].count(p) + patients["test"].count(p), 0u);
  }
  for (const std::string& p : patients["val"]) EXPECT_EQ(patients["test"].count(p), 0u);
}

TEST(Split, EachClassWithinOneOfItsFraction) {
  SplitInput input = synthetic_input(517, 4, 1);  // one row per patient: counts are patients
  DataConfig config;
  config.val_fraction = 0.13;
  config.test_fraction = 0.21;
  std::vector<std::int64_t> class_size(4, 0);
  for (std::int64_t label : input.labels) ++class_size[label];
  auto splits = split_dataset(input, config);
  std::map<std::string, double> fraction{
      {"val", 0.13}, {"test", 0.21}, {"train", 1.0 - 0.13 - 0.21}};
  for (const auto& [name, part] : splits) {
    for (std::size_t c = 0; c < 4; ++c) {
      EXPECT_LE(std::abs(part.class_counts[c] - fraction[name] * class_size[c]), 1.0)
          << name << " class " << c;
    }
  }
}

TEST(Split, DeterministicForASeedDifferentForAnother) {
  SplitInput input = synthetic_input(120, 2, 2);
  DataConfig config;
  auto first = split_dataset(input, config);
  auto again = split_dataset(input, config);
  config.split_seed = 99;
  auto other = split_dataset(input, config);
  for (const char* name : {"train", "val", "test"}) {
    EXPECT_EQ(first[name].shards, again[name].shards) << name;
  }
  EXPECT_NE(first["val"].shards, other["val"].shards);
}

TEST(Split, DoesNotDependOnThePseudonymsThemselves) {
  SplitInput input = synthetic_input(80, 2, 2);
  SplitInput rekeyed = input;
  for (std::string& p : rekeyed.pseudonyms) p = sha256_hex(std::string_view("other key " + p));
  DataConfig config;
  EXPECT_EQ(split_dataset(input, config)["test"].shards,
            split_dataset(rekeyed, config)["test"].shards);
}

// Rows are samples with their own labels (visits, both eyes): a patient's rows stay together,
// class counts are of the rows, and each patient is stratified on its most frequent class.
TEST(Split, RowsOfAPatientWithDifferentLabelsStayTogetherAndCountEach) {
  SplitInput input;
  input.source = "s.csv";
  input.num_classes = 2;
  for (int p = 0; p < 60; ++p) {
    const int rows = 1 + p % 4;
    for (int k = 0; k < rows; ++k) {
      input.lines.push_back(static_cast<std::int64_t>(input.lines.size()) + 2);
      input.pseudonyms.push_back(fake_pseudonym(p));
      input.labels.push_back((p % 3 == 0) != (k == rows - 1 && rows > 2) ? 1 : 0);
    }
  }
  DataConfig config;
  config.shards = 1;
  const auto splits = split_dataset(input, config);
  std::map<std::string, std::string> split_of;
  std::int64_t rows = 0;
  for (const auto& [name, part] : splits) {
    std::vector<std::int64_t> counts(2, 0);
    for (std::int64_t r : part.rows()) {
      ++counts[static_cast<std::size_t>(input.labels[r])];
      auto [it, inserted] = split_of.emplace(input.pseudonyms[r], name);
      EXPECT_EQ(it->second, name) << "a patient in two splits";
    }
    EXPECT_EQ(part.class_counts, counts) << name;
    rows += static_cast<std::int64_t>(part.rows().size());
  }
  EXPECT_EQ(rows, static_cast<std::int64_t>(input.labels.size()));
  EXPECT_EQ(split_of.size(), 60u);
  // 20 patients are mostly class 1 (p % 3 == 0): 15% of them, 3, in each of val and test.
  std::map<std::string, int> mostly_one;
  for (int p = 0; p < 60; p += 3) ++mostly_one[split_of[fake_pseudonym(p)]];
  EXPECT_EQ(mostly_one["val"], 3);
  EXPECT_EQ(mostly_one["test"], 3);
}

TEST(Split, EmptySplitSaysWhichAndWhatToChange) {
  SplitInput input = synthetic_input(3, 1, 1);
  DataConfig config;
  config.val_fraction = 0.1;
  config.test_fraction = 0.3;
  config.shards = 1;
  std::string message = user_error_of([&] { split_dataset(input, config); });
  EXPECT_CONTAINS(message, "split 'val' is empty");
  EXPECT_CONTAINS(message, "raise data.split.val");
}

TEST(Split, MoreShardsThanSamplesIsRefused) {
  SplitInput input = synthetic_input(20, 2, 1);
  DataConfig config;
  config.val_fraction = 0.1;
  config.shards = 4;
  std::string message = user_error_of([&] { split_dataset(input, config); });
  EXPECT_CONTAINS(message, "split 'val' has 2 samples but data.shards is 4");
}

// ---------------------------------------------------------------- shard

ShardData sample_shard() {
  ShardData shard;
  shard.split = "val";
  shard.shard_index = 1;
  shard.num_shards = 3;
  shard.num_features = 2;
  shard.pseudonyms = {fake_pseudonym(1), fake_pseudonym(2), fake_pseudonym(3)};
  shard.features = {0.1f, -3.25f, 1e-7f, 3.4e38f, -0.0f, 12345.678f};
  shard.labels = {0, 2, 1};
  return shard;
}

void set_int_attribute(const std::string& path, const char* name, std::int64_t value) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  EXPECT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &value), 0);
  H5Aclose(attr);
  H5Fclose(file);
}

TEST(Shard, RoundTripIsExact) {
  std::string path = scratch("shard_round_trip") + "/val-00001.h5";
  ShardData written = sample_shard();
  write_shard(path, written);
  ShardData read = read_shard(path);
  EXPECT_EQ(read.split, "val");
  EXPECT_EQ(read.shard_index, 1);
  EXPECT_EQ(read.num_shards, 3);
  EXPECT_EQ(read.num_features, 2);
  EXPECT_EQ(read.pseudonyms, written.pseudonyms);
  EXPECT_EQ(read.labels, written.labels);
  ASSERT_EQ(read.features.size(), written.features.size());
  for (std::size_t i = 0; i < read.features.size(); ++i) {
    EXPECT_EQ(std::memcmp(&read.features[i], &written.features[i], sizeof(float)), 0) << i;
  }
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(Shard, SameDataGivesIdenticalBytes) {
  std::string dir = scratch("shard_bytes");
  write_shard(dir + "/a.h5", sample_shard());
  write_shard(dir + "/b.h5", sample_shard());
  EXPECT_EQ(sha256_file_hex(dir + "/a.h5"), sha256_file_hex(dir + "/b.h5"));
}

TEST(Shard, NewerMajorVersionIsRefused) {
  std::string path = scratch("shard_newer") + "/train-00000.h5";
  write_shard(path, sample_shard());
  set_int_attribute(path, "format_version_major", 2);
  std::string message = user_error_of([&] { read_shard(path); });
  EXPECT_CONTAINS(message, path);
  // A shard without /extent records minor version 2 (shard.h).
  EXPECT_CONTAINS(message, "format version 2.2, newer than this galien reads (1.x)");
}

TEST(Shard, HeaderDisagreeingWithDatasetsIsRefused) {
  std::string path = scratch("shard_shape") + "/train-00000.h5";
  write_shard(path, sample_shard());
  set_int_attribute(path, "num_samples", 5);
  std::string message = user_error_of([&] { read_shard(path); });
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "of shape [3] but its header says [5]");
}

TEST(Shard, NonShardFilesAreRefusedByName) {
  std::string dir = scratch("shard_bad");
  write_file_atomic(dir + "/text.h5", "not hdf5");
  EXPECT_CONTAINS(user_error_of([&] { read_shard(dir + "/text.h5"); }), dir + "/text.h5");
  EXPECT_CONTAINS(user_error_of([&] { read_shard(dir + "/none.h5"); }), "does not exist");
}

TEST(Shard, WriterRefusesAnythingButPseudonyms) {
  std::string dir = scratch("shard_raw_id");
  ShardData shard = sample_shard();
  shard.pseudonyms[0] = "PAT-8842-DUPONT";
  EXPECT_THROW(write_shard(dir + "/x.h5", shard), InternalError);
  EXPECT_FALSE(fs::exists(dir + "/x.h5"));
}

// ---------------------------------------------------------------- manifest

TEST(Manifest, RoundTripAndNewerVersionRefused) {
  std::string dir = scratch("manifest");
  Manifest m;
  m.key_id = "0123456789abcdef";
  m.classes = {"1", "0"};
  m.features = {{"x", "numeric", "x", 1.25, 0.1}};
  m.rejected_rows = {{"missing value", 2}};
  m.splits["train"] = {10, 9, {6, 4}, {{"train-00000.h5", 10, std::string(64, 'a')}}};
  save_manifest(dir, m);
  Manifest back = load_manifest(dir);
  EXPECT_EQ(back.key_id, m.key_id);
  EXPECT_EQ(back.classes, m.classes);
  EXPECT_EQ(back.features[0].std, 0.1);
  EXPECT_EQ(back.rejected_rows, m.rejected_rows);
  EXPECT_EQ(back.splits["train"].class_counts, (std::vector<std::int64_t>{6, 4}));
  EXPECT_EQ(back.splits["train"].shards[0].file, "train-00000.h5");
  EXPECT_EQ(manifest_sha256(dir), sha256_file_hex(dir + "/manifest.json"));
  EXPECT_CONTAINS(read_file(dir + "/manifest.json"), "\n  \"format\": \"galien-shards\"");
  m.format_version_major = 2;
  save_manifest(dir, m);
  EXPECT_CONTAINS(user_error_of([&] { load_manifest(dir); }), "newer than this galien reads");
  EXPECT_CONTAINS(user_error_of([&] { load_manifest(dir + "/nowhere"); }), "galien shard");
}

// ---------------------------------------------------------------- pipeline

std::string key_file(const std::string& dir) {
  std::string path = dir + "/key.bin";
  fs::remove(path);
  generate_key_file(path);
  return path;
}

struct FixturePatient {
  std::string id, name;
};

// 40 patients, every third with a second visit; raw IDs like PAT-8842-DUPONT and full names.
std::vector<FixturePatient> fixture_patients() {
  const char* surnames[] = {"DUPONT", "MARTIN", "BERNARD", "DUBOIS",
                            "THOMAS", "ROBERT", "RICHARD", "PETIT"};
  std::vector<FixturePatient> patients;
  for (int i = 0; i < 40; ++i) {
    std::string surname = std::string(surnames[i % 8]) + (i < 8 ? "" : "X" + std::to_string(i));
    patients.push_back({"PAT-" + std::to_string(8842 + 17 * i) + "-" + surname,
                        "Jeanne-" + std::to_string(i) + " " + surname});
  }
  return patients;
}

std::string fixture_csv(const std::vector<FixturePatient>& patients) {
  std::string csv = "patient_id,name,age,sex,outcome\n";
  for (std::size_t i = 0; i < patients.size(); ++i) {
    for (std::size_t visit = 0; visit <= (i % 3 == 0 ? 1u : 0u); ++visit) {
      csv += "\"" + patients[i].id + "\",\"" + patients[i].name + "\"," +
             std::to_string(30 + (i * 7 + visit) % 50) + "," + (i % 2 ? "F" : "M") + "," +
             (i % 4 < 2 ? "yes" : "no") + "\n";
    }
  }
  return csv;
}

Config fixture_config(const std::string& dir) {
  Config config;
  config.data.csv = dir + "/clinical.csv";
  config.data.patient_id_column = "patient_id";
  config.data.label_column = "outcome";
  config.data.classes = {"no", "yes"};
  config.data.numeric = {"age"};
  config.data.categorical = {"sex"};
  config.data.drop = {"name"};
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 2;
  config.privacy.key_file = key_file(dir);
  config.sha256 = std::string(64, 'c');
  return config;
}

// Runs `f` with spdlog writing into the returned text instead of stderr.
template <typename F>
std::string captured_log(F&& f) {
  std::ostringstream text;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(text)));
  try {
    f();
  } catch (...) {
    spdlog::set_default_logger(previous);
    throw;
  }
  spdlog::set_default_logger(previous);
  return text.str();
}

TEST(Pipeline, NoRawIdentifierInAnyOutputByteOrLogLine) {
  std::string dir = scratch("pipeline_privacy");
  auto patients = fixture_patients();
  write_file_atomic(dir + "/clinical.csv", fixture_csv(patients));
  Config config = fixture_config(dir);
  ShardResult result;
  std::string log = captured_log([&] { result = run_shard(config, false); });
  EXPECT_CONTAINS(log, "patients");

  std::vector<std::string> outputs;
  for (const auto& entry : fs::directory_iterator(config.data.shard_dir)) {
    outputs.push_back(read_file(entry.path().string()));
  }
  // manifest.json (+ .hmac), privacy_report.json/.md, audit.jsonl, 2 shards x 3 splits
  EXPECT_EQ(outputs.size(), 5u + 6u);
  for (const FixturePatient& p : patients) {
    std::string surname = p.id.substr(p.id.rfind('-') + 1);
    for (const std::string& secret : {p.id, p.name, surname}) {
      for (const std::string& bytes : outputs) EXPECT_EQ(bytes.find(secret), std::string::npos);
      EXPECT_EQ(log.find(secret), std::string::npos) << secret;
    }
  }

  // The shards hold exactly the keyed pseudonyms of the raw IDs, each patient in one split.
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::set<std::string> expected, seen;
  for (const FixturePatient& p : patients) expected.insert(pseudonymize(p.id));
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    std::set<std::string> in_split;
    for (const std::string& path : verify_split(result.shard_dir, result.manifest, split)) {
      ShardData shard = read_shard(path);
      samples += shard.num_samples();
      in_split.insert(shard.pseudonyms.begin(), shard.pseudonyms.end());
    }
    for (const std::string& p : in_split) EXPECT_TRUE(seen.insert(p).second);
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(samples, 40 + 14);

  std::string report = read_file(config.data.shard_dir + "/privacy_report.json");
  EXPECT_CONTAINS(report, "\"name\"");
  EXPECT_CONTAINS(report, result.manifest.key_id);
  EXPECT_CONTAINS(report, "\"split_disjointness_verified\": \"the /pseudonym of every written shard was read back: ");
}

TEST(Pipeline, ErrorsNeverQuoteAPatientId) {
  std::string dir = scratch("pipeline_error");
  write_file_atomic(dir + "/clinical.csv",
                    "patient_id,name,age,sex,outcome\n"
                    "PAT-8842-DUPONT,Jeanne DUPONT,40,F,yes\n"
                    "PAT-8842-DUPONT,Jeanne DUPONT,forty-one,F,no\n");
  std::string message = user_error_of([&] { run_shard(fixture_config(dir), false); });
  EXPECT_CONTAINS(message, "clinical.csv:3: column 'age'");
  EXPECT_EQ(message.find("DUPONT"), std::string::npos) << message;
}

TEST(Pipeline, RefusesToOverwriteUnlessAsked) {
  std::string dir = scratch("pipeline_overwrite");
  write_file_atomic(dir + "/clinical.csv", fixture_csv(fixture_patients()));
  Config config = fixture_config(dir);
  captured_log([&] { run_shard(config, false); });
  EXPECT_CONTAINS(user_error_of([&] { run_shard(config, false); }), "--overwrite");
  config.data.shards = 1;
  ShardResult result;
  captured_log([&] { result = run_shard(config, true); });
  EXPECT_EQ(result.manifest.splits["train"].shards.size(), 1u);
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/train-00001.h5"));  // stale shard removed
}

Config wdbc_config(const std::string& dir) {
  Config config;
  config.data.csv = std::string(GALIEN_SOURCE_DIR) + "/data/wdbc/breast_cancer_wdbc.csv";
  config.data.label_column = "target";
  config.data.classes = {"1", "0"};
  config.data.numeric = {"*"};
  config.data.shards = 2;
  config.data.shard_dir = dir + "/shards";
  config.privacy.key_file = key_file(dir);
  return config;
}

void flip_byte(const std::string& path, std::streamoff offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(offset);
  char c = 0;
  file.get(c);
  file.seekp(offset);
  file.put(static_cast<char>(c ^ 0x01));
}

TEST(Pipeline, WdbcShardsEndToEndAndVerifies) {
  std::string dir = scratch("pipeline_wdbc");
  Config config = wdbc_config(dir);
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  Manifest m = load_manifest(result.shard_dir);
  EXPECT_EQ(m.source_file, "breast_cancer_wdbc.csv");
  EXPECT_EQ(m.source_sha256, sha256_file_hex(config.data.csv));
  EXPECT_EQ(m.source_rows, 569);
  EXPECT_EQ(m.num_features(), 30);
  EXPECT_EQ(m.galien_version, GALIEN_VERSION);
  EXPECT_EQ(m.key_id, load_key_file(config.privacy.key_file).key_id());
  EXPECT_EQ(m.created_utc.size(), 20u);
  std::vector<std::int64_t> per_class(2, 0);
  std::vector<double> sum(30, 0.0), squares(30, 0.0);
  std::int64_t train_rows = 0;
  for (const auto& [name, split] : m.splits) {
    ASSERT_EQ(split.shards.size(), 2u);
    EXPECT_EQ(split.num_samples, split.num_patients);
    for (int c = 0; c < 2; ++c) per_class[c] += split.class_counts[c];
    for (const std::string& path : verify_split(result.shard_dir, m, name)) {
      if (name != "train") continue;
      ShardData shard = read_shard(path);
      train_rows += shard.num_samples();
      for (std::size_t i = 0; i < shard.features.size(); ++i) {
        sum[i % 30] += shard.features[i];
        squares[i % 30] += double(shard.features[i]) * shard.features[i];
      }
    }
  }
  EXPECT_EQ(per_class, (std::vector<std::int64_t>{357, 212}));  // "1" benign, "0" malignant
  for (int f = 0; f < 30; ++f) {  // standardised with train statistics
    EXPECT_NEAR(sum[f] / train_rows, 0.0, 1e-5);
    EXPECT_NEAR(squares[f] / train_rows, 1.0, 1e-4);
  }
}

TEST(Pipeline, FlippedShardByteFailsVerificationNamingTheShard) {
  std::string dir = scratch("pipeline_tamper");
  ShardResult result;
  captured_log([&] { result = run_shard(wdbc_config(dir), false); });
  std::string shard = result.shard_dir + "/val-00001.h5";
  flip_byte(shard, static_cast<std::streamoff>(fs::file_size(shard) / 2));
  EXPECT_NO_THROW(verify_split(result.shard_dir, result.manifest, "train"));
  std::string message =
      user_error_of([&] { verify_split(result.shard_dir, result.manifest, "val"); });
  EXPECT_CONTAINS(message, "val-00001.h5");
  EXPECT_CONTAINS(message, "corrupted or was modified");
}

TEST(Pipeline, ShardsAreReadableByH5pyAndH5dump) {
  std::string dir = scratch("pipeline_h5py");
  ShardResult result;
  captured_log([&] { result = run_shard(wdbc_config(dir), false); });
  const ShardEntry& entry = result.manifest.splits["train"].shards[0];
  std::string path = result.shard_dir + "/" + entry.file;
  std::string check =
      "import h5py, sys; f = h5py.File(sys.argv[1], 'r'); x = f['features']; "
      "assert x.shape == (int(sys.argv[2]), 30) and x.dtype == 'float32' and x.chunks, x; "
      "assert f['label'].dtype == 'int64' and set(f['label'][:]) <= {0, 1}; "
      "assert len(f['pseudonym'][0]) == 64 and f.attrs['num_samples'] == x.shape[0]; "
      "fmt = f.attrs['format']; "
      "assert (fmt.decode() if isinstance(fmt, bytes) else fmt) == 'galien-shard', fmt";
  std::string command =
      "/usr/bin/python3 -c \"" + check + "\" " + path + " " + std::to_string(entry.num_samples);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_EQ(std::system(("h5dump -H " + path + " > /dev/null").c_str()), 0);
}

}  // namespace
}  // namespace galien
