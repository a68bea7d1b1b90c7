// A rank's view of a split (datasets/rank_shards.h) beyond features and labels: survival
// time/event, regression targets, pseudonyms, and images read per sample from shards held in
// memory — on shards written here, plain and AES-256-GCM encrypted.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/fs.h"
#include "core/hash.h"
#include "datasets/imaging/float16.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_store.h"
#include "privacy/data_keys.h"
#include "privacy/key_file.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using test::user_error_of;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/rank_shards/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

DataKeys test_keys(const std::string& dir) {
  generate_key_file(dir + "/key.bin");
  return DataKeys(load_key_file(dir + "/key.bin"));
}

std::string pseudonym(int shard, int i) {
  return sha256_hex(std::string_view("patient " + std::to_string(shard) + "/" + std::to_string(i)));
}

// Shard `s` of 3 holds 4 + s samples; sample i: 2 features (s, i), label i % 2, time 10 s + i
// + 0.5, event (i + s) % 2, target 100 s - i.
ShardData table_shard(int s, bool survival, bool regression) {
  ShardData shard;
  shard.num_features = 2;
  for (int i = 0; i < 4 + s; ++i) {
    shard.pseudonyms.push_back(pseudonym(s, i));
    shard.labels.push_back(i % 2);
    shard.features.push_back(static_cast<float>(s));
    shard.features.push_back(static_cast<float>(i));
    if (survival) {
      shard.time.push_back(10.0f * s + i + 0.5f);
      shard.event.push_back(static_cast<std::uint8_t>((i + s) % 2));
    }
    if (regression) shard.target.push_back(100.0f * s - i);
  }
  return shard;
}

// Image shards: 3 samples of [C=2, H=3, W=4]; stored value k of sample i of shard s is
// (s * 60 + i * 24 + k) % 256 for uint8, the same / 16 as float16; mask (k + i) % 3.
ShardData image_shard(int s, PixelType dtype, bool features) {
  ShardData shard;
  shard.num_features = features ? 1 : 0;
  for (int i = 0; i < 3; ++i) {
    shard.pseudonyms.push_back(pseudonym(s, i));
    shard.labels.push_back((i + s) % 2);
    if (features) shard.features.push_back(0.25f * i);
  }
  shard.images.dtype = dtype;
  shard.images.shape = {2, 3, 4};
  shard.images.has_mask = true;
  shard.images.gzip_level = 1;
  shard.images.fill = [s, dtype](std::int64_t i, void* pixels, std::uint8_t* mask) {
    for (int k = 0; k < 24; ++k) {
      const int value = (s * 60 + static_cast<int>(i) * 24 + k) % 256;
      if (dtype == PixelType::kUint8) {
        static_cast<std::uint8_t*>(pixels)[k] = static_cast<std::uint8_t>(value);
      } else {
        static_cast<std::uint16_t*>(pixels)[k] = float_to_half(value / 16.0f);
      }
      if (k < 12) mask[k] = static_cast<std::uint8_t>((k + i) % 3);
    }
    return std::string();
  };
  return shard;
}

// Writes `shards` as the "train" split of a shard directory with its authenticated manifest and
// returns that manifest as a trainer loads it.
Manifest write_dataset(const std::string& dir, std::vector<ShardData> shards, const DataKeys& keys,
                       bool encrypted, bool images) {
  Manifest m;
  m.key_id = keys.key_id();
  if (encrypted) m.encryption = new_encryption_info();
  if (images) m.images = R"({"format": "test", "shape": [2, 3, 4]})";
  for (std::int64_t f = 0; f < shards.front().num_features; ++f)
    m.features.push_back({"f" + std::to_string(f), "numeric", "f", 0.0, 1.0});
  SplitInfo& split = m.splits["train"];
  for (std::size_t s = 0; s < shards.size(); ++s) {
    ShardData& shard = shards[s];
    shard.split = "train";
    shard.shard_index = static_cast<int>(s);
    shard.num_shards = static_cast<int>(shards.size());
    char name[32];
    std::snprintf(name, sizeof name, "train-%05zu.h5", s);
    split.shards.push_back(store_shard(dir, shard_file_name(name, m), shard, m, &keys));
    split.num_samples += shard.num_samples();
  }
  save_manifest(dir, m, keys);
  return load_manifest(dir, &keys);
}

std::vector<ShardData> table_shards(bool survival, bool regression) {
  return {table_shard(0, survival, regression), table_shard(1, survival, regression),
          table_shard(2, survival, regression)};
}

// Rank 1 of 2 owns shard 1; rank 0 owns shards 0 and 2.
const std::vector<SampleRef> kRank0Samples = {{2, 5}, {0, 0}, {2, 1}, {0, 3}};

TEST(RankShardsTasks, SurvivalTimeEventAndPseudonymsPlainAndEncrypted) {
  for (bool encrypted : {false, true}) {
    const std::string dir = scratch(encrypted ? "survival_enc" : "survival");
    const DataKeys keys = test_keys(dir);
    const Manifest m = write_dataset(dir, table_shards(true, false), keys, encrypted, false);
    RankShards shards(dir, m, "train", 2, 0, &keys);
    EXPECT_EQ(shards.owned(), (std::vector<int>{0, 2}));
    std::vector<float> time(4), event(4);
    shards.gather_survival(kRank0Samples, time.data(), event.data());
    EXPECT_EQ(time, (std::vector<float>{25.5f, 0.5f, 21.5f, 3.5f})) << encrypted;
    EXPECT_EQ(event, (std::vector<float>{1.0f, 0.0f, 1.0f, 1.0f})) << encrypted;
    EXPECT_EQ(shards.pseudonyms(kRank0Samples),
              (std::vector<std::string>{pseudonym(2, 5), pseudonym(0, 0), pseudonym(2, 1),
                                        pseudonym(0, 3)}));
    std::vector<float> features(8);
    std::vector<std::int64_t> labels(4);
    shards.gather(kRank0Samples, features.data(), labels.data());
    EXPECT_EQ(features, (std::vector<float>{2, 5, 0, 0, 2, 1, 0, 3}));
    EXPECT_EQ(labels, (std::vector<std::int64_t>{1, 0, 1, 1}));
    EXPECT_TRUE(shards.image_shape().empty());
    EXPECT_FALSE(shards.has_mask());
    // Not a regression dataset: the shard is named.
    std::vector<float> target(4);
    std::string message =
        user_error_of([&] { shards.gather_targets(kRank0Samples, target.data()); });
    EXPECT_CONTAINS(message, "train-00002.h5");
    EXPECT_CONTAINS(message, "has no /target");
  }
}

TEST(RankShardsTasks, RegressionTargetsAreRawAndMissingTimeNamesTheShard) {
  for (bool encrypted : {false, true}) {
    const std::string dir = scratch(encrypted ? "regression_enc" : "regression");
    const DataKeys keys = test_keys(dir);
    const Manifest m = write_dataset(dir, table_shards(false, true), keys, encrypted, false);
    RankShards shards(dir, m, "train", 2, 1, &keys);
    std::vector<SampleRef> samples = shards.all_owned_samples();
    ASSERT_EQ(samples.size(), 5u);
    std::vector<float> target(samples.size());
    shards.gather_targets(samples, target.data());
    EXPECT_EQ(target, (std::vector<float>{100, 99, 98, 97, 96}));
    std::vector<float> time(5), event(5);
    std::string message =
        user_error_of([&] { shards.gather_survival(samples, time.data(), event.data()); });
    EXPECT_CONTAINS(message, std::string("train-00001.h5") + (encrypted ? ".enc" : "") + " in " +
                                 dir);
    EXPECT_CONTAINS(message, "has no /time");
    EXPECT_CONTAINS(message, "data.task: survival");
  }
}

TEST(RankShardsTasks, ASampleTheRankDoesNotOwnIsAnInternalError) {
  const std::string dir = scratch("not_owned");
  const DataKeys keys = test_keys(dir);
  const Manifest m = write_dataset(dir, table_shards(true, false), keys, false, false);
  RankShards shards(dir, m, "train", 2, 1, &keys);
  std::vector<float> time(1), event(1);
  EXPECT_THROW(shards.gather_survival({{0, 0}}, time.data(), event.data()), InternalError);
  EXPECT_THROW(shards.pseudonyms({{1, 5}}), InternalError);  // shard 1 has 5 samples
}

TEST(RankShardsImages, PixelsScaledMasksAndTablePerSamplePlainAndEncrypted) {
  for (PixelType dtype : {PixelType::kUint8, PixelType::kFloat16}) {
    for (bool encrypted : {false, true}) {
      const std::string dir = scratch("images_" + std::to_string(int(dtype)) +
                                      (encrypted ? "_enc" : ""));
      const DataKeys keys = test_keys(dir);
      const Manifest m = write_dataset(
          dir, {image_shard(0, dtype, true), image_shard(1, dtype, true), image_shard(2, dtype, true)},
          keys, encrypted, true);
      RankShards shards(dir, m, "train", 2, 0, &keys);
      ASSERT_EQ(shards.image_shape(), (std::vector<std::int64_t>{2, 3, 4}));
      ASSERT_TRUE(shards.has_mask());
      const std::vector<SampleRef> samples = {{2, 1}, {0, 2}, {0, 0}};
      std::vector<float> pixels(3 * 24);
      shards.gather_images(samples, pixels.data());
      std::vector<std::int64_t> masks(3 * 12);
      shards.gather_masks(samples, masks.data());
      for (std::size_t j = 0; j < samples.size(); ++j) {
        const int s = samples[j].shard, i = static_cast<int>(samples[j].index);
        for (int k = 0; k < 24; ++k) {
          const int value = (s * 60 + i * 24 + k) % 256;
          const float expected =
              dtype == PixelType::kUint8 ? value / 255.0f : half_to_float(float_to_half(value / 16.0f));
          ASSERT_EQ(pixels[j * 24 + k], expected) << j << " " << k;
          if (k < 12) ASSERT_EQ(masks[j * 12 + k], (k + i) % 3) << j << " " << k;
        }
      }
      EXPECT_EQ(pixels[0 * 24 + 23], ((2 * 60 + 24 + 23) % 256) / (dtype == PixelType::kUint8 ? 255.0f : 16.0f));
      // Features, labels and pseudonyms of image shards still come from memory.
      std::vector<float> features(3);
      std::vector<std::int64_t> labels(3);
      shards.gather(samples, features.data(), labels.data());
      EXPECT_EQ(features, (std::vector<float>{0.25f, 0.5f, 0.0f}));
      EXPECT_EQ(labels, (std::vector<std::int64_t>{1, 0, 0}));
      EXPECT_EQ(shards.pseudonyms(samples)[0], pseudonym(2, 1));
    }
  }
}

TEST(RankShardsImages, ImageOnlyShardsHaveZeroFeaturesAndStillGatherLabels) {
  const std::string dir = scratch("image_only");
  const DataKeys keys = test_keys(dir);
  const Manifest m = write_dataset(
      dir, {image_shard(0, PixelType::kUint8, false), image_shard(1, PixelType::kUint8, false)},
      keys, false, true);
  RankShards shards(dir, m, "train", 1, 0, &keys);
  EXPECT_EQ(shards.num_features(), 0);
  std::vector<SampleRef> samples = shards.all_owned_samples();
  ASSERT_EQ(samples.size(), 6u);
  std::vector<std::int64_t> labels(samples.size());
  shards.gather(samples, nullptr, labels.data());
  EXPECT_EQ(labels, (std::vector<std::int64_t>{0, 1, 0, 1, 0, 1}));
}

TEST(RankShardsImages, LoaderThreadReadsWhileAnotherSplitReadsToo) {
  // The trainer's loader gathers on a background thread; evaluation may read another split at
  // the same time. Both must get the right pixels.
  const std::string dir = scratch("threads");
  const DataKeys keys = test_keys(dir);
  const Manifest m = write_dataset(
      dir, {image_shard(0, PixelType::kFloat16, false), image_shard(1, PixelType::kFloat16, false)},
      keys, true, true);
  RankShards a(dir, m, "train", 1, 0, &keys), b(dir, m, "train", 1, 0, &keys);
  std::vector<SampleRef> samples = a.all_owned_samples();
  std::vector<float> expected(samples.size() * 24);
  a.gather_images(samples, expected.data());
  std::vector<float> from_a(expected.size()), from_b(expected.size());
  std::thread loader([&] {
    for (int round = 0; round < 50; ++round) a.gather_images(samples, from_a.data());
  });
  for (int round = 0; round < 50; ++round) b.gather_images(samples, from_b.data());
  loader.join();
  EXPECT_EQ(from_a, expected);
  EXPECT_EQ(from_b, expected);
}

TEST(RankShardsImages, TableShardsRefuseImageGathersAndTamperedImageShardsAreNamed) {
  const std::string dir = scratch("image_errors");
  const DataKeys keys = test_keys(dir);
  const Manifest table = write_dataset(dir, table_shards(false, false), keys, false, false);
  RankShards shards(dir, table, "train", 1, 0, &keys);
  std::vector<float> pixels(24);
  EXPECT_CONTAINS(user_error_of([&] { shards.gather_images({{0, 0}}, pixels.data()); }),
                  "has no /image");

  const std::string enc = scratch("image_errors_enc");
  const DataKeys enc_keys = test_keys(enc);
  const Manifest images = write_dataset(
      enc, {image_shard(0, PixelType::kUint8, false), image_shard(1, PixelType::kUint8, false)},
      enc_keys, true, true);
  const std::string shard = enc + "/train-00001.h5.enc";
  std::string bytes = read_file(shard);
  bytes[bytes.size() / 2] ^= 0x01;
  write_file_atomic(shard, bytes);
  std::string message = user_error_of([&] { RankShards(enc, images, "train", 2, 1, &enc_keys); });
  EXPECT_CONTAINS(message, "train-00001.h5.enc");
  EXPECT_CONTAINS(message, "authentication failed");
}

}  // namespace
}  // namespace galien
