// PNG + labels table (ChestX-ray14 layout) with clinical columns (docs/imaging.md): the labels
// table's other columns become per-image features, standardised with train images only, under
// data.missing and the risk gate; every column is accounted for and no patient ID is written.
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_reader.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::scratch;
using imaging_test::user_error_of;

// The fixture's table: image i (pixel 0 = i, line i + 2) of patient 30000 + i / 2 has
// "Follow-up #" i % 2, "Patient Age" 40 + i and "Patient Gender" "MF"[i % 2].
Config png_config(const std::string& dir) {
  make_fixture("png", dir + "/images");
  Config config;
  config.data.image_format = "png";
  config.data.image_path = dir + "/images";
  config.data.image_labels_csv = dir + "/images/Data_Entry.csv";
  config.data.image_channels = 1;
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.val_fraction = 0.25;
  config.data.test_fraction = 0.25;
  config.data.numeric = {"Patient Age", "Follow-up #"};
  config.data.categorical = {"Patient Gender"};
  config.privacy.key_file = dir + "/key.bin";
  generate_key_file(config.privacy.key_file);
  config.sha256 = std::string(64, 'c');
  return config;
}

ShardResult quiet_shard(const Config& config) {
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));
  struct Restore {
    std::shared_ptr<spdlog::logger> logger;
    ~Restore() { spdlog::set_default_logger(logger); }
  } restore{previous};
  return run_shard(config, true);
}

// Every sample of every shard: image index (its pixel 0), split and features.
struct Sample {
  std::string split;
  std::vector<float> features;
};

std::map<int, Sample> samples_by_image(const ShardResult& result) {
  std::map<int, Sample> samples;
  for (const auto& [split, info] : result.manifest.splits) {
    for (const ShardEntry& entry : info.shards) {
      ShardReader reader(result.shard_dir + "/" + entry.file);
      const auto width = static_cast<std::size_t>(reader.data().num_features);
      std::vector<float> image(1024);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i) {
        reader.read_image(i, image.data());
        const auto* row = reader.data().features.data() + static_cast<std::size_t>(i) * width;
        samples[static_cast<int>(image[0])] = {split, std::vector<float>(row, row + width)};
      }
    }
  }
  return samples;
}

void replace_line(const std::string& path, int line, const std::string& text) {
  std::string csv = read_file(path), out;
  int current = 1;
  for (std::size_t start = 0; start < csv.size(); ++current) {
    std::size_t end = csv.find('\n', start);
    out += (current == line ? text : csv.substr(start, end - start)) + "\n";
    start = end + 1;
  }
  write_file_atomic(path, out);
}

TEST(PngClinical, LabelsTableColumnsAreStandardisedPerImageWithTrainStatistics) {
  std::string dir = scratch("png_clinical");
  Config config = png_config(dir);
  ShardResult result = quiet_shard(config);
  // Features in table order: numbers, then one-hot categories.
  std::vector<std::string> names;
  for (const FeatureInfo& f : result.manifest.features) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Follow-up #", "Patient Age", "Patient Gender=F",
                                             "Patient Gender=M"}));
  std::map<int, Sample> samples = samples_by_image(result);
  ASSERT_EQ(samples.size(), 24u);
  // The age statistics are those of the train images only (population std).
  double sum = 0, squares = 0, count = 0;
  for (const auto& [i, s] : samples) {
    if (s.split == "train") sum += 40 + i, ++count;
  }
  const double mean = sum / count;
  for (const auto& [i, s] : samples) {
    if (s.split == "train") squares += (40 + i - mean) * (40 + i - mean);
  }
  const double std = std::sqrt(squares / count);
  const FeatureInfo& age = result.manifest.features[1];
  EXPECT_NEAR(age.mean, mean, 1e-9);
  EXPECT_NEAR(age.std, std, 1e-9);
  EXPECT_NE(count, 24);  // val and test images exist and did not count
  for (const auto& [i, s] : samples) {
    ASSERT_EQ(s.features.size(), 4u);
    EXPECT_NEAR(s.features[1], (40 + i - mean) / std, 1e-5) << i;
    // "MF"[i % 2]: one-hot [F, M].
    EXPECT_EQ(s.features[2], i % 2 == 1 ? 1.0f : 0.0f) << i;
    EXPECT_EQ(s.features[3], i % 2 == 0 ? 1.0f : 0.0f) << i;
  }
  auto report = nlohmann::json::parse(read_file(result.shard_dir + "/privacy_report.json"));
  EXPECT_EQ(report["clinical_table"], "Data_Entry.csv");
  // Patient IDs are pseudonymised: none of them reaches any output file.
  for (const auto& entry : fs::directory_iterator(result.shard_dir)) {
    std::string bytes = read_file(entry.path().string());
    for (int p = 30000; p < 30012; ++p) {
      EXPECT_FALSE(test::contains_as_value(bytes, std::to_string(p))) << entry.path() << " " << p;
    }
  }
}

TEST(PngClinical, EveryColumnMustBeAccountedFor) {
  std::string dir = scratch("png_clinical_columns");
  Config config = png_config(dir);
  config.data.numeric = {"Patient Age"};  // Patient Gender stays categorical
  std::string message = user_error_of([&] { quiet_shard(config); });
  EXPECT_CONTAINS(message, "Data_Entry.csv: columns not accounted for by the config: "
                           "'Follow-up #'. Add each to data.drop");
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
  // No feature at all: the other columns must still be dropped by name.
  config.data.numeric.clear();
  config.data.categorical.clear();
  config.data.drop = {"Patient Age"};
  message = user_error_of([&] { quiet_shard(config); });
  EXPECT_CONTAINS(message, "columns not accounted for by the config: 'Follow-up #', "
                           "'Patient Gender'");
  config.data.drop = {"Patient Age", "Follow-up #", "Patient Gender", "View Position"};
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "data.drop names column 'View Position', which is not in");
  config.data.drop = {"Patient Age", "Follow-up #", "Patient Gender"};
  ShardResult result = quiet_shard(config);
  EXPECT_EQ(result.manifest.num_features(), 0);
  auto report = nlohmann::json::parse(read_file(result.shard_dir + "/privacy_report.json"));
  EXPECT_EQ(report["dropped_columns"],
            nlohmann::json({"Patient Age", "Follow-up #", "Patient Gender"}));
}

TEST(PngClinical, ColumnsTheSourceReadsCannotTakeAnotherRole) {
  std::string dir = scratch("png_clinical_roles");
  Config config = png_config(dir);
  config.data.drop = {"Image Index"};
  std::string message = user_error_of([&] { quiet_shard(config); });
  EXPECT_CONTAINS(message, "data.drop names 'Image Index', the image file column");
  config.data.drop.clear();
  config.data.categorical = {"Patient Gender", "Finding Labels"};
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "data.categorical names 'Finding Labels', the labels column");
  config.data.categorical = {"Patient Gender", "Patient ID"};
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "data.categorical names 'Patient ID', the patient column");
  config.data.categorical = {"Patient Gender"};
  config.data.csv = dir + "/clinical.csv";
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "data.csv is set with data.images.format png");
}

TEST(PngClinical, MissingValuesFollowDataMissing) {
  std::string dir = scratch("png_clinical_missing");
  Config config = png_config(dir);
  // Image 5 (line 7) has no age.
  replace_line(config.data.image_labels_csv, 7, "00030002_001.png,No Finding,1,30002,,F");
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }),
                  "Data_Entry.csv:7: missing value in column 'Patient Age'");
  config.data.missing = "drop_row";
  ShardResult dropped = quiet_shard(config);
  EXPECT_EQ(dropped.manifest.rejected_rows.at("missing value"), 1);
  std::map<int, Sample> samples = samples_by_image(dropped);
  EXPECT_EQ(samples.size(), 23u);
  EXPECT_EQ(samples.count(5), 0u);
  config.data.missing = "impute";
  samples = samples_by_image(quiet_shard(config));
  ASSERT_EQ(samples.size(), 24u);
  EXPECT_EQ(samples.at(5).features[1], 0.0f);  // the train mean, standardised
}

TEST(PngClinical, RiskGateMeasuresTheLabelsTableColumns) {
  std::string dir = scratch("png_clinical_gate");
  Config config = png_config(dir);
  config.privacy.quasi_identifiers = {"Patient Age", "Patient Gender"};
  config.privacy.k_min = 2;
  std::string message = user_error_of([&] { quiet_shard(config); });
  EXPECT_CONTAINS(message, "re-identification risk gate refused to write shards: k = 1");
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
  config.privacy.generalise = {"Patient Age=bands:50"};  // 40..63 -> 0 and 50: k = 5
  ShardResult result = quiet_shard(config);
  auto report = nlohmann::json::parse(read_file(result.shard_dir + "/privacy_report.json"));
  EXPECT_EQ(report["reidentification_risk"]["decision"], "passed");
}

}  // namespace
}  // namespace galien
