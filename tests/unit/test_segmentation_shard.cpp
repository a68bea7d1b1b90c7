// `galien shard` with data.task: segmentation (docs/imaging.md, "Segmentation datasets"): NIfTI
// cases of different sizes, stored in non-RAS orientations with anisotropic spacing (made by
// nibabel: tests/fixtures/make_imaging_fixtures.py nifti-seg-sizes, nifti-seg-2d), are padded to
// the largest stored size with their real size in /extent (shard format 1.3), their masks match
// nibabel's canonical masks voxel for voxel, the manifest counts the cases holding each class,
// and bad input names the case by its rank, never by its file name (the patient key).
#include <hdf5.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config/config.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/resample.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_reader.h"
#include "imaging_test_util.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"
#include "tests/support/hdf5_inspect.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using imaging_test::make_fixture;
using imaging_test::scratch;
using imaging_test::user_error_of;
using Size = std::array<std::int64_t, 3>;

const std::vector<std::string> kCases = {"liver_017", "liver_033", "liver_101", "liver_204",
                                         "liver_350"};

Config seg_config(const std::string& dir) {
  Config config;
  config.data.task = "segmentation";
  config.data.classes = {"background", "liver", "tumour"};
  config.data.image_format = "nifti";
  config.data.image_path = dir + "/task";
  config.data.image_dtype = "float16";  // raw values: x + 10y + 100z + case, exact in float16
  config.data.shard_dir = dir + "/shards";
  config.data.shards = 1;
  config.data.val_fraction = 0.2;
  config.data.test_fraction = 0.2;
  config.privacy.key_file = dir + "/key.bin";
  if (!fs::exists(config.privacy.key_file)) generate_key_file(config.privacy.key_file);
  config.sha256 = std::string(64, 'c');
  return config;
}

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

// nibabel's canonical mask of a case, [D, H, W].
struct Expected {
  Size size{};
  std::vector<std::uint8_t> mask;
};

Expected expected_mask(const std::string& dir, const std::string& name) {
  Expected e;
  std::ifstream(dir + "/task/expected/" + name + ".shape") >> e.size[0] >> e.size[1] >> e.size[2];
  std::string bytes = read_file(dir + "/task/expected/" + name + ".mask");
  e.mask.assign(bytes.begin(), bytes.end());
  EXPECT_EQ(e.mask.size(), static_cast<std::size_t>(e.size[0] * e.size[1] * e.size[2])) << name;
  return e;
}

using test::has_dataset;
using test::int_attribute;

std::vector<std::string> shard_paths(const ShardResult& result, const std::string& split) {
  std::vector<std::string> paths;
  for (const ShardEntry& e : result.manifest.splits.at(split).shards) {
    paths.push_back(result.shard_dir + "/" + e.file);
  }
  return paths;
}

// Case index of each pseudonym.
std::map<std::string, int> case_of_pseudonym(const Config& config) {
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::map<std::string, int> cases;
  for (std::size_t c = 0; c < kCases.size(); ++c) cases[pseudonymize(kCases[c])] = int(c);
  return cases;
}

std::vector<std::int64_t> classes_present(const std::vector<std::uint8_t>& mask, std::size_t k) {
  std::vector<std::int64_t> present(k, 0);
  for (std::uint8_t v : mask) present[v] = 1;
  return present;
}

// ---------------------------------------------------------------- header-only geometry

TEST(SegmentationShard, HeaderOnlyGeometryIsTheFullReadsGeometry) {
  std::string dir = scratch("seg_header");
  make_fixture("nifti-orient", dir + "/orient");
  make_fixture("nifti-seg-sizes", dir + "/task");
  std::vector<std::string> files{dir + "/orient/ila4d.nii.gz"};
  for (const std::string& folder : {dir + "/orient/imagesTr", dir + "/task/imagesTr",
                                    dir + "/task/labelsTr"}) {
    for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  }
  ASSERT_GE(files.size(), 18u);
  for (const std::string& file : files) {
    Volume full = read_nifti(file), header = read_nifti_header(file);
    EXPECT_TRUE(header.voxels.empty()) << file;
    EXPECT_EQ(header.channels, full.channels) << file;
    EXPECT_EQ(header.depth, full.depth) << file;
    EXPECT_EQ(header.height, full.height) << file;
    EXPECT_EQ(header.width, full.width) << file;
    EXPECT_EQ(header.spacing, full.spacing) << file;
    EXPECT_EQ(header.orientation, full.orientation) << file;
    EXPECT_EQ(header.volumetric, full.volumetric) << file;
  }
  std::string truncated = dir + "/short.nii";
  std::ofstream(truncated) << "not a header";
  EXPECT_CONTAINS(user_error_of([&] { read_nifti_header(truncated, "NIfTI case 1 of 1"); }),
                  "NIfTI case 1 of 1 is truncated");
}

// ---------------------------------------------------------------- cases of their own size

TEST(SegmentationShard, CasesOfDifferentSizesArePaddedAndMatchTheCanonicalMasks) {
  std::string dir = scratch("seg_sizes");
  make_fixture("nifti-seg-sizes", dir + "/task");
  Config config = seg_config(dir);
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  const Manifest& m = result.manifest;
  EXPECT_EQ(m.task, "segmentation");
  EXPECT_EQ(m.classes, config.data.classes);
  auto images = nlohmann::json::parse(m.images);
  EXPECT_EQ(images.at("task"), "segmentation");
  EXPECT_EQ(images.at("shape"), (std::vector<std::int64_t>{1, 5, 8, 9}));  // largest D, H, W
  std::map<std::string, int> cases = case_of_pseudonym(config);
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    std::vector<std::int64_t> counts(3, 0);
    for (const std::string& path : shard_paths(result, split)) {
      EXPECT_EQ(int_attribute(path, "format_version_minor"), 4) << path;  // images: chunk index
      EXPECT_TRUE(has_dataset(path, "/extent"));
      ShardReader reader(path);
      ASSERT_TRUE(reader.has_mask());
      ASSERT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{1, 5, 8, 9}));
      std::vector<float> image(5 * 8 * 9);
      std::vector<std::uint8_t> mask(5 * 8 * 9);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        EXPECT_EQ(reader.data().labels[i], 0);  // /label: 0 for every case
        ASSERT_EQ(cases.count(reader.data().pseudonyms[i]), 1u);
        const int c = cases.at(reader.data().pseudonyms[i]);
        Expected e = expected_mask(dir, kCases[c]);
        ASSERT_EQ(reader.extent(i), e.size) << kCases[c];
        reader.read_image(i, image.data());
        reader.read_mask(i, mask.data());
        for (std::int64_t z = 0; z < 5; ++z) {
          for (std::int64_t y = 0; y < 8; ++y) {
            for (std::int64_t x = 0; x < 9; ++x) {
              const std::size_t at = static_cast<std::size_t>((z * 8 + y) * 9 + x);
              const bool inside = z < e.size[0] && y < e.size[1] && x < e.size[2];
              const std::uint8_t label =
                  inside ? e.mask[static_cast<std::size_t>((z * e.size[1] + y) * e.size[2] + x)]
                         : 0;
              ASSERT_EQ(mask[at], label) << kCases[c] << " z " << z << " y " << y << " x " << x;
              ASSERT_EQ(image[at], inside ? float(x + 10 * y + 100 * z + c) : 0.0f)
                  << kCases[c] << " z " << z << " y " << y << " x " << x;
            }
          }
        }
        std::vector<std::int64_t> present = classes_present(e.mask, 3);
        for (std::size_t k = 0; k < 3; ++k) counts[k] += present[k];
      }
    }
    EXPECT_EQ(m.splits.at(split).class_counts, counts) << split;
    EXPECT_EQ(m.splits.at(split).num_patients, m.splits.at(split).num_samples) << split;
  }
  EXPECT_EQ(samples, 5);
  Manifest back = load_manifest(config.data.shard_dir);
  EXPECT_EQ(back.task, "segmentation");
  EXPECT_EQ(back.splits.at("train").class_counts, m.splits.at("train").class_counts);

  // A rank's view: the extent of every owned sample, as the shard has it.
  RankShards rank(config.data.shard_dir, back, "train", 1, 0);
  EXPECT_TRUE(rank.has_mask());
  ShardReader train(shard_paths(result, "train").front());
  for (const SampleRef& s : rank.all_owned_samples()) {
    EXPECT_EQ(rank.extent(s), train.extent(s.index));
  }
  // Nothing names a case (the patient key) in any output file.
  for (const auto& entry : fs::recursive_directory_iterator(config.data.shard_dir)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(read_file(entry.path().string()).find("liver_"), std::string::npos) << entry.path();
  }
  std::string report = read_file(config.data.shard_dir + "/privacy_report.json");
  EXPECT_CONTAINS(report, "segmentation: one image and one label mask per case");
}

// What a user writes: the documented YAML, `shape: []` and `spacing` without shape.
TEST(SegmentationShard, TheDocumentedYamlShardsCasesOfTheirOwnSize) {
  std::string dir = scratch("seg_yaml");
  make_fixture("nifti-seg-sizes", dir + "/task");
  generate_key_file(dir + "/key.bin");
  std::ofstream(dir + "/seg.yaml") << "data:\n  task: segmentation\n"
                                   << "  classes: [background, liver, tumour]\n"
                                   << "  shard_dir: " << dir << "/shards\n  shards: 1\n"
                                   << "  split: {val: 0.2, test: 0.2, seed: 1}\n"
                                   << "  images:\n    format: nifti\n    path: " << dir
                                   << "/task\n    shape: []\n    spacing: [5.0, 1.8, 1.6]\n"
                                   << "    dtype: float16\n    gzip: 1\n"
                                   << "privacy:\n  key_file: " << dir << "/key.bin\n";
  Config config = load_config(dir + "/seg.yaml");
  EXPECT_TRUE(config.data.image_shape.empty());
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  EXPECT_EQ(result.manifest.task, "segmentation");
  EXPECT_EQ(nlohmann::json::parse(result.manifest.images).at("shape"),
            (std::vector<std::int64_t>{1, 3, 4, 5}));
  EXPECT_TRUE(has_dataset(shard_paths(result, "train").front(), "/extent"));
}

TEST(SegmentationShard, SpacingWithoutShapeResamplesEachCaseToItsOwnSize) {
  std::string dir = scratch("seg_spacing");
  make_fixture("nifti-seg-sizes", dir + "/task");
  Config config = seg_config(dir);
  config.data.image_spacing = {5.0, 1.8, 1.6};  // D, H, W mm: half of each canonical axis
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  std::map<std::string, int> cases = case_of_pseudonym(config);
  // Canonical sizes (D, H, W): (4, 6, 7), (3, 5, 9), (5, 8, 6), (2, 7, 8), (4, 6, 5) at 2.5 x
  // 0.9 x 0.8 mm, which NIfTI stores as float32 (0.9f = 0.89999998): n x old / new rounded,
  // so 7 rows of 0.9f mm give 3.4999999 -> 3, not 4. The largest is 3 x 4 x 5.
  const std::array<double, 3> old_mm{2.5, double(0.9f), double(0.8f)}, new_mm{5.0, 1.8, 1.6};
  auto resized = [&](const Size& n) {
    Size size{};
    for (std::size_t a = 0; a < 3; ++a) {
      size[a] = std::max<std::int64_t>(1, std::llround(n[a] * old_mm[a] / new_mm[a]));
    }
    return size;
  };
  EXPECT_EQ(resized({2, 7, 8}), (Size{1, 3, 4}));
  EXPECT_EQ(resized({4, 6, 7}), (Size{2, 3, 4}));  // 7 x 0.8f / 1.6 = 3.50000006 -> 4
  const Size largest{3, 4, 5};
  EXPECT_EQ(nlohmann::json::parse(result.manifest.images).at("shape"),
            (std::vector<std::int64_t>{1, 3, 4, 5}));
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      std::vector<std::uint8_t> mask(3 * 4 * 5);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        const int c = cases.at(reader.data().pseudonyms[i]);
        Expected e = expected_mask(dir, kCases[c]);
        const Size size = resized(e.size);
        ASSERT_EQ(reader.extent(i), size) << kCases[c];
        // The stored mask is the nearest-neighbour resampling of nibabel's canonical mask.
        Volume canonical;
        canonical.depth = e.size[0];
        canonical.height = e.size[1];
        canonical.width = e.size[2];
        canonical.voxels.assign(e.mask.begin(), e.mask.end());
        Volume resampled = resample(canonical, size, Interpolation::kNearest);
        reader.read_mask(i, mask.data());
        for (std::int64_t z = 0; z < largest[0]; ++z) {
          for (std::int64_t y = 0; y < largest[1]; ++y) {
            for (std::int64_t x = 0; x < largest[2]; ++x) {
              const bool inside = z < size[0] && y < size[1] && x < size[2];
              const float label =
                  inside ? resampled.voxels[static_cast<std::size_t>((z * size[1] + y) * size[2] + x)]
                         : 0.0f;
              ASSERT_EQ(mask[static_cast<std::size_t>((z * 4 + y) * 5 + x)], label)
                  << kCases[c] << " z " << z << " y " << y << " x " << x;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(samples, 5);
}

// 2D cases (NIfTI dim[0] = 2): /image [N, C, H, W], /extent (1, H, W).
TEST(SegmentationShard, TwoDimensionalCasesOfDifferentSizesArePaddedToo) {
  std::string dir = scratch("seg_2d");
  make_fixture("nifti-seg-2d", dir + "/task");
  Config config = seg_config(dir);
  config.data.val_fraction = 0.25;
  config.data.test_fraction = 0.25;
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  Pseudonymizer pseudonymize(load_key_file(config.privacy.key_file));
  std::map<std::string, int> cases;
  for (int c = 0; c < 4; ++c) cases[pseudonymize("slice_00" + std::to_string(c))] = c;
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      ASSERT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{1, 8, 10}));
      std::vector<float> image(80);
      std::vector<std::uint8_t> mask(80);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        const int c = cases.at(reader.data().pseudonyms[i]);
        Expected e = expected_mask(dir, "slice_00" + std::to_string(c));
        ASSERT_EQ(reader.extent(i), e.size) << c;
        reader.read_image(i, image.data());
        reader.read_mask(i, mask.data());
        for (std::int64_t y = 0; y < 8; ++y) {
          for (std::int64_t x = 0; x < 10; ++x) {
            const bool inside = y < e.size[1] && x < e.size[2];
            const std::size_t at = static_cast<std::size_t>(y * 10 + x);
            ASSERT_EQ(mask[at], inside ? e.mask[static_cast<std::size_t>(y * e.size[2] + x)] : 0)
                << c << " y " << y << " x " << x;
            ASSERT_EQ(image[at], inside ? float(x + 10 * y + c) : 0.0f) << c;
          }
        }
      }
    }
  }
  EXPECT_EQ(samples, 4);
  // 2D spacing [H, W] mm; 3 entries are for volumes.
  config.data.image_spacing = {1.8, 1.6};
  captured_log([&] { result = run_shard(config, true); });
  EXPECT_EQ(nlohmann::json::parse(result.manifest.images).at("shape"),
            (std::vector<std::int64_t>{1, 4, 5}));  // 8 x 0.9f / 1.8 = 4, 10 x 0.8f / 1.6 = 5
  config.data.image_spacing = {2.5, 1.8, 1.6};
  EXPECT_CONTAINS(user_error_of([&] { captured_log([&] { run_shard(config, true); }); }),
                  "the cases are 2D images: give [H, W] mm");
}

// nnU-Net layout: one file per channel (_0000, _0001), stacked as channels of one case.
TEST(SegmentationShard, ChannelFilesOfCasesOfDifferentSizesStackAndPadTogether) {
  std::string dir = scratch("seg_channels");
  make_fixture("nifti-seg-sizes", dir + "/task", "--channels");
  Config config = seg_config(dir);
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  std::map<std::string, int> cases = case_of_pseudonym(config);
  std::int64_t samples = 0;
  for (const char* split : {"train", "val", "test"}) {
    for (const std::string& path : shard_paths(result, split)) {
      ShardReader reader(path);
      ASSERT_EQ(reader.data().images.shape, (std::vector<std::int64_t>{2, 5, 8, 9}));
      std::vector<float> image(2 * 360);
      for (std::int64_t i = 0; i < reader.num_samples(); ++i, ++samples) {
        const int c = cases.at(reader.data().pseudonyms[i]);
        const Size e = expected_mask(dir, kCases[c]).size;
        ASSERT_EQ(reader.extent(i), e);
        reader.read_image(i, image.data());
        for (std::int64_t z = 0; z < 5; ++z) {
          for (std::int64_t y = 0; y < 8; ++y) {
            for (std::int64_t x = 0; x < 9; ++x) {
              const bool inside = z < e[0] && y < e[1] && x < e[2];
              const float value = float(x + 10 * y + 100 * z + c);
              const std::size_t at = static_cast<std::size_t>((z * 8 + y) * 9 + x);
              ASSERT_EQ(image[at], inside ? value : 0.0f) << kCases[c];
              ASSERT_EQ(image[360 + at], inside ? value + 1000 : 0.0f) << kCases[c];
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(samples, 5);
  // A channel file of another size: the header pass hands the case to the full read, which
  // names the channel file by the case's rank.
  std::string odd = scratch("seg_odd_channel");
  make_fixture("nifti-seg-sizes", odd + "/task", "--channels --odd-channel");
  std::string message =
      user_error_of([&] { captured_log([&] { run_shard(seg_config(odd), false); }); });
  EXPECT_CONTAINS(message, "channel file 1 of NIfTI case 4 of 5 in " + odd + "/task/imagesTr");
  EXPECT_CONTAINS(message, "has shape [1, 1, 7, 8] but its channel file 0 has [1, 2, 7, 8]");
  EXPECT_EQ(message.find("liver_"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(odd + "/shards/train-00000.h5"));
}

// Image shards record 1.4 (their chunk index, tests/unit/test_chunk_index.cpp) with or without
// /extent; without it, /extent is simply absent.
TEST(SegmentationShard, AFixedShapeAndClassificationImagesHaveNoExtent) {
  std::string dir = scratch("seg_fixed");
  make_fixture("nifti-seg-sizes", dir + "/task");
  Config config = seg_config(dir);
  config.data.image_shape = {4, 8, 8};
  ShardResult result;
  captured_log([&] { result = run_shard(config, false); });
  for (const std::string& path : shard_paths(result, "train")) {
    EXPECT_EQ(int_attribute(path, "format_version_minor"), 4);
    EXPECT_FALSE(has_dataset(path, "/extent"));
    ShardReader reader(path);
    EXPECT_EQ(reader.extent(0), (Size{4, 8, 8}));  // no /extent: the full stored size
  }
  // Classification NIfTI images: no /extent.
  std::string plain = scratch("seg_plain");
  make_fixture("nifti", plain + "/task");
  Config classification = seg_config(plain);
  classification.data.task = "classification";
  classification.data.classes.clear();
  captured_log([&] { result = run_shard(classification, false); });
  for (const std::string& path : shard_paths(result, "train")) {
    EXPECT_EQ(int_attribute(path, "format_version_minor"), 4);
    EXPECT_FALSE(has_dataset(path, "/extent"));
  }
  EXPECT_EQ(result.manifest.task, "classification");
}

TEST(SegmentationShard, AClassAbsentFromTheTrainSplitIsWarnedByName) {
  std::string dir = scratch("seg_absent");
  make_fixture("nifti-seg-sizes", dir + "/task");
  Config config = seg_config(dir);
  config.data.classes = {"background", "liver", "tumour", "cyst"};
  ShardResult result;
  std::string log = captured_log([&] { result = run_shard(config, false); });
  EXPECT_CONTAINS(log, "class 'cyst' is absent from every case of the train split");
  EXPECT_EQ(log.find("class 'tumour' is absent"), std::string::npos) << log;
  EXPECT_EQ(result.manifest.splits.at("train").class_counts.at(3), 0);
  EXPECT_EQ(result.manifest.splits.at("train").class_counts.at(0), 3);  // every case
}

// ---------------------------------------------------------------- bad input

TEST(SegmentationShard, ALabelOutsideTheClassesNamesTheCaseAndTheValuesNotTheFile) {
  std::string dir = scratch("seg_bad_label");
  make_fixture("nifti-seg-sizes", dir + "/task", "--bad-label");
  Config config = seg_config(dir);
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "NIfTI case 3 of 5 in " + dir + "/task/imagesTr (cases in name order)");
  EXPECT_CONTAINS(message, "holds the values 0, 1, 2, 5, 7");
  EXPECT_CONTAINS(message, "integers 0 to 2 (0 = background, 1 = liver, 2 = tumour)");
  EXPECT_EQ(message.find("liver_"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
  // Naming the values 5 and 7 is the fix the message suggests.
  config.data.classes = {"background", "liver", "tumour", "three", "four", "five", "six", "seven"};
  captured_log([&] { run_shard(config, true); });
}

TEST(SegmentationShard, AMaskOfAnotherShapeNamesTheCaseBeforeAnyShardIsWritten) {
  std::string dir = scratch("seg_mask_shape");
  make_fixture("nifti-seg-sizes", dir + "/task", "--mask-shape");
  Config config = seg_config(dir);
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "NIfTI case 2 of 5 in " + dir + "/task/imagesTr");
  EXPECT_CONTAINS(message, "the mask is 3 x 5 x 8 but the image is 3 x 5 x 9");
  EXPECT_EQ(message.find("liver_"), std::string::npos) << message;
  // Found from the headers, before any shard is written.
  bool any_shard = false;
  if (fs::exists(config.data.shard_dir)) {
    for (const auto& entry : fs::directory_iterator(config.data.shard_dir)) {
      any_shard |= entry.path().string().find(".h5") != std::string::npos;
    }
  }
  EXPECT_FALSE(any_shard);
  // A fixed shape does not make a wrong mask right: the same case is named while writing.
  config.data.image_shape = {4, 8, 8};
  message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "NIfTI case 2 of 5");
  EXPECT_EQ(message.find("liver_"), std::string::npos) << message;
}

// A mask header without sform/qform would stay as stored while its image is reoriented: the size
// pass reads headers only and still names it, before any shard is written.
TEST(SegmentationShard, AMaskWithoutOrientationIsNamedByTheSizePass) {
  std::string dir = scratch("seg_bare_mask");
  make_fixture("nifti", dir + "/task", "--bare-mask");
  Config config = seg_config(dir);
  config.data.classes = {"background", "foreground"};
  std::string message = user_error_of([&] { captured_log([&] { run_shard(config, false); }); });
  EXPECT_CONTAINS(message, "the mask (labelsTr) of NIfTI case 2 of 6 in " + dir +
                               "/task/imagesTr (cases in name order) has orientation none");
  EXPECT_EQ(message.find("case_00"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/train-00000.h5"));
}

TEST(SegmentationShard, ConfigsThatCannotMakeASegmentationDatasetAreRefusedByKey) {
  std::string dir = scratch("seg_config");
  make_fixture("nifti-seg-sizes", dir + "/task");
  Config config = seg_config(dir);
  auto refused = [&](Config c) {
    return user_error_of([&] { captured_log([&] { run_shard(c, false); }); });
  };
  Config one = config;
  one.data.classes = {"background"};
  EXPECT_CONTAINS(refused(one), "at least 2 names (data.classes has 1)");
  Config none = config;
  none.data.classes.clear();
  EXPECT_CONTAINS(refused(none), "needs data.classes");
  Config twice = config;
  twice.data.classes = {"background", "liver", "liver"};
  EXPECT_CONTAINS(refused(twice), "names 'liver' twice");
  Config png = config;
  png.data.image_format = "png";
  EXPECT_CONTAINS(refused(png), "data.images.format is png");
  Config table = config;
  table.data.csv = dir + "/clinical.csv";
  EXPECT_CONTAINS(refused(table), "remove data.csv");
  Config flat = config;
  flat.data.image_spacing = {1.8, 1.6};
  EXPECT_CONTAINS(refused(flat), "the cases are volumes: give [D, H, W] mm");
  Config four = config;
  four.data.image_spacing = {1, 1, 1, 1};
  EXPECT_CONTAINS(refused(four), "data.images.spacing has 4 entries");
  Config tabular = config;
  tabular.data.image_format = "none";
  tabular.data.csv = dir + "/clinical.csv";
  std::ofstream(tabular.data.csv) << "id,y\n1,0\n";
  EXPECT_CONTAINS(refused(tabular), "data.task is segmentation, which reads images");
  fs::remove_all(dir + "/task/labelsTr");
  EXPECT_CONTAINS(refused(config), "has no labelsTr folder");
}

// ---------------------------------------------------------------- /extent in the shard format

ShardData extent_shard(std::vector<std::int32_t> extents) {
  ShardData shard;
  for (int i = 0; i < 2; ++i) {
    shard.pseudonyms.push_back(std::string(63, 'a') + char('0' + i));
    shard.labels.push_back(0);
  }
  shard.images.shape = {1, 3, 4, 5};
  shard.images.has_mask = true;
  shard.images.extents = std::move(extents);
  shard.images.fill = [](std::int64_t, void* pixels, std::uint8_t* mask) {
    std::fill_n(static_cast<std::uint8_t*>(pixels), 60, 0);
    std::fill_n(mask, 60, 0);
    return std::string();
  };
  return shard;
}

// Replaces /extent of `path` by `values` of `type` and shape [rows, columns].
void rewrite_extent(const std::string& path, hid_t type, hsize_t rows, hsize_t columns,
                    const std::vector<double>& values) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (H5Lexists(file, "/extent", H5P_DEFAULT) > 0) H5Ldelete(file, "/extent", H5P_DEFAULT);
  hsize_t dims[2] = {rows, columns};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t dataset = H5Dcreate2(file, "/extent", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
}

TEST(SegmentationShard, ExtentRoundTripsAndADamagedOneNamesTheShard) {
  const std::string dir = scratch("seg_extent");
  const std::string path = dir + "/train-00000.h5";
  write_shard(path, extent_shard({3, 4, 5, 1, 2, 3}));
  EXPECT_EQ(int_attribute(path, "format_version_minor"), 4);
  ShardReader reader(path);
  EXPECT_EQ(reader.extent(0), (Size{3, 4, 5}));
  EXPECT_EQ(reader.extent(1), (Size{1, 2, 3}));
  EXPECT_EQ(read_shard(path).images.extents, (std::vector<std::int32_t>{3, 4, 5, 1, 2, 3}));

  write_shard(dir + "/plain.h5", extent_shard({}));
  EXPECT_EQ(int_attribute(dir + "/plain.h5", "format_version_minor"), 4);
  EXPECT_EQ(ShardReader(dir + "/plain.h5").extent(1), (Size{3, 4, 5}));

  auto damaged = [&](hid_t type, hsize_t rows, hsize_t columns, std::vector<double> values) {
    write_shard(path, extent_shard({3, 4, 5, 1, 2, 3}));
    rewrite_extent(path, type, rows, columns, values);
    std::string message = user_error_of([&] { read_shard(path); });
    EXPECT_CONTAINS(message, "shard " + path);
    EXPECT_CONTAINS(message, "the file is damaged");
    return message;
  };
  EXPECT_CONTAINS(damaged(H5T_STD_I32LE, 2, 2, {1, 1, 1, 1}),
                  "has /extent that is not integers [num_samples, 3]");
  EXPECT_CONTAINS(damaged(H5T_STD_I32LE, 3, 3, std::vector<double>(9, 1)),
                  "has /extent that is not integers [num_samples, 3]");
  EXPECT_CONTAINS(damaged(H5T_IEEE_F32LE, 2, 3, std::vector<double>(6, 1)),
                  "has /extent that is not integers");
  EXPECT_CONTAINS(damaged(H5T_STD_I32LE, 2, 3, {3, 4, 5, 0, 2, 3}),
                  "has /extent 0 for sample 1 (axis D), outside 1..3");
  EXPECT_CONTAINS(damaged(H5T_STD_I64LE, 2, 3, {3, 4, 6, 1, 2, 3}),
                  "has /extent 6 for sample 0 (axis W), outside 1..5");

  // /extent without /image.
  ShardData table = extent_shard({});
  table.images = ShardImages{};
  write_shard(path, table);
  rewrite_extent(path, H5T_STD_I32LE, 2, 3, std::vector<double>(6, 1));
  EXPECT_CONTAINS(user_error_of([&] { read_shard(path); }), "has /extent but no /image");
}

}  // namespace
}  // namespace galien
