// Shard format 1.4's chunk index (datasets/chunk_index.h): written for image shards only, equal
// to HDF5's own chunk lookup; the chunk-index and HDF5 read paths (trainer.shard_reader) give
// byte-identical pixels and masks for uint8 and float16, plain, gzip and encrypted shards,
// segmentation shards with /extent, whole-shard and range ownership; shards without an index
// still read; a damaged index is a UserError naming the shard.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "core/fs.h"
#include "core/hash.h"
#include "datasets/imaging/float16.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_reader.h"
#include "datasets/shard_store.h"
#include "privacy/data_keys.h"
#include "privacy/key_file.h"
#include "tests/support/hdf5_inspect.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using test::user_error_of;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/chunk_index/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

DataKeys test_keys(const std::string& dir) {
  generate_key_file(dir + "/key.bin");
  return DataKeys(load_key_file(dir + "/key.bin"));
}

std::string pseudonym(int shard, int i) {
  return sha256_hex(std::string_view("case " + std::to_string(shard) + "/" + std::to_string(i)));
}

// A pseudo-random but reproducible byte of sample i of shard s, mostly small values (so gzip
// has something to compress) with some spread.
std::uint8_t value_of(int s, std::int64_t i, int k) {
  std::uint32_t h = static_cast<std::uint32_t>(s * 7919 + i * 104729 + k * 31337) * 2654435761u;
  return static_cast<std::uint8_t>((h >> 24) % 7 == 0 ? h >> 16 : (h >> 28));
}

// 5 samples of [C=2, 4, 6] (uint8 or float16 of value / 8), masks (k + i) % 3 of [4, 6].
ShardData image_shard(int s, PixelType dtype, int gzip, bool index = true) {
  ShardData shard;
  shard.num_features = 1;
  for (int i = 0; i < 5; ++i) {
    shard.pseudonyms.push_back(pseudonym(s, i));
    shard.labels.push_back((i + s) % 2);
    shard.features.push_back(0.5f * i);
  }
  shard.images.dtype = dtype;
  shard.images.shape = {2, 4, 6};
  shard.images.has_mask = true;
  shard.images.gzip_level = gzip;
  shard.images.chunk_index = index;
  shard.images.fill = [s, dtype](std::int64_t i, void* pixels, std::uint8_t* mask) {
    for (int k = 0; k < 48; ++k) {
      if (dtype == PixelType::kUint8)
        static_cast<std::uint8_t*>(pixels)[k] = value_of(s, i, k);
      else
        static_cast<std::uint16_t*>(pixels)[k] = float_to_half(value_of(s, i, k) / 8.0f - 3.0f);
      if (k < 24) mask[k] = static_cast<std::uint8_t>((k + i + s) % 3);
    }
    return std::string();
  };
  return shard;
}

// Segmentation cases of different sizes: [1, 3, 4, 5] padded, /extent per case.
ShardData extent_shard(int s) {
  ShardData shard;
  for (int i = 0; i < 3; ++i) {
    shard.pseudonyms.push_back(pseudonym(s, i));
    shard.labels.push_back(0);
  }
  shard.images.shape = {1, 3, 4, 5};
  shard.images.has_mask = true;
  shard.images.gzip_level = 1;
  shard.images.extents = {3, 4, 5, 1, 2, 3, 2, 4, 1};
  shard.images.fill = [s](std::int64_t i, void* pixels, std::uint8_t* mask) {
    for (int k = 0; k < 60; ++k) {
      static_cast<std::uint8_t*>(pixels)[k] = value_of(s, i, k);
      mask[k] = static_cast<std::uint8_t>(value_of(s, i, k) % 2);
    }
    return std::string();
  };
  return shard;
}

// `shards` as the "train" split of an authenticated shard directory (the trainer's view).
Manifest write_dataset(const std::string& dir, std::vector<ShardData> shards, const DataKeys& keys,
                       bool encrypted) {
  Manifest m;
  m.key_id = keys.key_id();
  if (encrypted) m.encryption = new_encryption_info();
  std::string shape;
  for (std::int64_t d : shards.front().images.shape)
    shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  m.images = R"({"format": "test", "shape": [)" + shape + "]}";
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

using test::has_dataset;
using test::int_attribute;

std::vector<std::uint64_t> index_rows(const std::string& path, const char* name) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t space = H5Dget_space(dataset);
  std::vector<std::uint64_t> rows(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
  H5Dread(dataset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  return rows;
}

// Replaces the index dataset `name` of `path` by `rows` of shape [rows.size() / columns, columns].
void rewrite_index(const std::string& path, const char* name,
                   const std::vector<std::uint64_t>& rows, hsize_t columns = 3) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, name, H5P_DEFAULT);
  if (!rows.empty()) {
    hsize_t dims[2] = {rows.size() / columns, columns};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t dataset =
        H5Dcreate2(file, name, H5T_STD_U64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(dataset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
    H5Dclose(dataset);
    H5Sclose(space);
  }
  H5Fclose(file);
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  const std::string bytes = read_file(path);
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

// Every owned sample of `shards` in a shuffled order: pixels, masks (both gathers and
// read_mask), as raw bytes for an exact comparison.
struct Read {
  std::vector<float> pixels;
  std::vector<std::int64_t> masks;
  std::vector<std::uint8_t> stored_masks;
};

Read read_all(const RankShards& shards) {
  std::vector<SampleRef> samples = shards.all_owned_samples();
  std::shuffle(samples.begin(), samples.end(), std::mt19937(7));
  std::size_t n = 1, m = 1;
  for (std::int64_t d : shards.image_shape()) n *= static_cast<std::size_t>(d);
  m = n / static_cast<std::size_t>(shards.image_shape().front());
  Read read;
  read.pixels.resize(samples.size() * n);
  read.masks.resize(samples.size() * m);
  read.stored_masks.resize(samples.size() * m);
  shards.gather_images(samples, read.pixels.data());
  shards.gather_masks(samples, read.masks.data());
  for (std::size_t i = 0; i < samples.size(); ++i)
    shards.read_mask(samples[i], read.stored_masks.data() + i * m);
  return read;
}

bool identical(const Read& a, const Read& b) {
  return a.pixels.size() == b.pixels.size() &&
         std::memcmp(a.pixels.data(), b.pixels.data(), a.pixels.size() * sizeof(float)) == 0 &&
         a.masks == b.masks && a.stored_masks == b.stored_masks;
}

TEST(ChunkIndex, WrittenForImageShardsOnlyAndEqualToHdf5sChunkLookup) {
  const std::string dir = scratch("written");
  for (int gzip : {0, 4}) {
    const std::string path = dir + "/gzip" + std::to_string(gzip) + ".h5";
    write_shard(path, image_shard(0, PixelType::kUint8, gzip));
    EXPECT_EQ(int_attribute(path, "format_version_minor"), 4);
    hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    for (auto [data, index] :
         {std::pair{"/image", "/image_chunks"}, std::pair{"/mask", "/mask_chunks"}}) {
      const std::vector<std::uint64_t> rows = index_rows(path, index);
      ASSERT_EQ(rows.size(), 5u * 3) << index;
      hid_t dataset = H5Dopen2(file, data, H5P_DEFAULT);
      for (hsize_t i = 0; i < 5; ++i) {
        hsize_t coords[4] = {i, 0, 0, 0}, size = 0;
        haddr_t address = 0;
        unsigned mask = 99;
        ASSERT_GE(H5Dget_chunk_info_by_coord(dataset, coords, &mask, &address, &size), 0);
        EXPECT_EQ(rows[3 * i], address) << index << " " << i;
        EXPECT_EQ(rows[3 * i + 1], size) << index << " " << i;
        EXPECT_EQ(rows[3 * i + 2], mask) << index << " " << i;
        if (gzip == 0) EXPECT_EQ(size, std::string(data) == "/image" ? 48u : 24u);
      }
      H5Dclose(dataset);
    }
    H5Fclose(file);
  }
  // Tables: no index, the bytes and version (1.2) they had.
  ShardData table = image_shard(0, PixelType::kUint8, 0);
  table.images = ShardImages{};
  write_shard(dir + "/table.h5", table);
  EXPECT_EQ(int_attribute(dir + "/table.h5", "format_version_minor"), 2);
  EXPECT_FALSE(has_dataset(dir + "/table.h5", "/image_chunks"));
  // An image shard written without it, as before 1.4.
  write_shard(dir + "/old.h5", image_shard(0, PixelType::kUint8, 0, false));
  EXPECT_EQ(int_attribute(dir + "/old.h5", "format_version_minor"), 2);
  EXPECT_FALSE(has_dataset(dir + "/old.h5", "/image_chunks"));
  EXPECT_FALSE(has_dataset(dir + "/old.h5", "/mask_chunks"));
}

TEST(ChunkIndex, BothPathsGiveIdenticalPixelsAndMasksPlainGzipEncryptedWholeAndRange) {
  for (PixelType dtype : {PixelType::kUint8, PixelType::kFloat16}) {
    for (int gzip : {0, 3}) {
      for (bool encrypted : {false, true}) {
        const std::string label =
            std::to_string(int(dtype)) + "_" + std::to_string(gzip) + (encrypted ? "_enc" : "");
        const std::string dir = scratch("paths_" + label);
        const DataKeys keys = test_keys(dir);
        const Manifest m = write_dataset(
            dir,
            {image_shard(0, dtype, gzip), image_shard(1, dtype, gzip), image_shard(2, dtype, gzip)},
            keys, encrypted);
        // 1 rank: whole shards; 4 ranks over 3 shards: ranges, parts of one or two shards.
        for (int world : {1, 4}) {
          for (int rank = 0; rank < world; ++rank) {
            RankShards hdf5(dir, m, "train", world, rank, &keys, ShardReadPath::kHdf5);
            RankShards index(dir, m, "train", world, rank, &keys, ShardReadPath::kChunkIndex);
            RankShards automatic(dir, m, "train", world, rank, &keys);
            EXPECT_FALSE(hdf5.uses_chunk_index());
            EXPECT_TRUE(index.uses_chunk_index()) << label;
            EXPECT_TRUE(automatic.uses_chunk_index()) << label;
            const Read expected = read_all(hdf5);
            EXPECT_TRUE(identical(read_all(index), expected))
                << label << " " << world << " " << rank;
            EXPECT_TRUE(identical(read_all(automatic), expected)) << label;
          }
        }
        // And the values are the fixture's (so the two paths are not equally wrong).
        RankShards index(dir, m, "train", 1, 0, &keys, ShardReadPath::kChunkIndex);
        std::vector<float> pixels(48);
        std::vector<std::int64_t> mask(24);
        index.gather_images({{2, 3}}, pixels.data());
        index.gather_masks({{2, 3}}, mask.data());
        for (int k = 0; k < 48; ++k) {
          const float want = dtype == PixelType::kUint8
                                 ? value_of(2, 3, k) / 255.0f
                                 : half_to_float(float_to_half(value_of(2, 3, k) / 8.0f - 3.0f));
          ASSERT_EQ(pixels[k], want) << label << " " << k;
          if (k < 24) ASSERT_EQ(mask[k], (k + 3 + 2) % 3);
        }
      }
    }
  }
}

TEST(ChunkIndex, ShardReaderRawAndFloatReadsAgreeOnBothPaths) {
  const std::string dir = scratch("reader");
  for (PixelType dtype : {PixelType::kUint8, PixelType::kFloat16}) {
    for (int gzip : {0, 5}) {
      const std::string path = dir + "/s.h5";
      write_shard(path, image_shard(1, dtype, gzip));
      const ShardReader hdf5(file_bytes(path), path, ShardReadPath::kHdf5);
      const ShardReader index(file_bytes(path), path, ShardReadPath::kChunkIndex);
      ASSERT_TRUE(index.uses_chunk_index() && !index.calls_hdf5());
      ASSERT_FALSE(hdf5.uses_chunk_index());
      const std::size_t bytes = 48 * (dtype == PixelType::kUint8 ? 1 : 2);
      for (std::int64_t i : {4, 0, 2}) {
        std::vector<std::uint8_t> a(bytes), b(bytes), ma(24), mb(24);
        hdf5.read_image_raw(i, a.data());
        index.read_image_raw(i, b.data());
        EXPECT_EQ(a, b) << int(dtype) << gzip << " " << i;
        std::vector<float> fa(48), fb(48);
        hdf5.read_image(i, fa.data());
        index.read_image(i, fb.data());
        EXPECT_EQ(std::memcmp(fa.data(), fb.data(), 48 * sizeof(float)), 0);
        hdf5.read_mask(i, ma.data());
        index.read_mask(i, mb.data());
        EXPECT_EQ(ma, mb);
      }
    }
  }
}

TEST(ChunkIndex, SegmentationShardsWithExtentReadTheSameOnBothPaths) {
  for (bool encrypted : {false, true}) {
    const std::string dir = scratch(encrypted ? "extent_enc" : "extent");
    const DataKeys keys = test_keys(dir);
    const Manifest m = write_dataset(dir, {extent_shard(0), extent_shard(1)}, keys, encrypted);
    RankShards hdf5(dir, m, "train", 1, 0, &keys, ShardReadPath::kHdf5);
    RankShards index(dir, m, "train", 1, 0, &keys, ShardReadPath::kChunkIndex);
    EXPECT_TRUE(identical(read_all(index), read_all(hdf5)));
    EXPECT_EQ(index.extent({1, 1}), (std::array<std::int64_t, 3>{1, 2, 3}));
    EXPECT_EQ(index.extent({0, 2}), hdf5.extent({0, 2}));
  }
  const std::string path = scratch("extent_version") + "/s.h5";
  write_shard(path, extent_shard(0));
  EXPECT_EQ(int_attribute(path, "format_version_minor"), 4);
  ShardData old = extent_shard(0);
  old.images.chunk_index = false;
  write_shard(path, old);
  EXPECT_EQ(int_attribute(path, "format_version_minor"), 3);  // as before 1.4
}

TEST(ChunkIndex, OlderShardsWithoutIndexReadThroughHdf5AndChunkIndexModeIsRefused) {
  const std::string dir = scratch("older"), indexed_dir = scratch("older_indexed");
  const DataKeys keys = test_keys(dir);
  const Manifest old = write_dataset(
      dir,
      {image_shard(0, PixelType::kUint8, 2, false), image_shard(1, PixelType::kUint8, 2, false)},
      keys, false);
  const Manifest indexed = write_dataset(
      indexed_dir, {image_shard(0, PixelType::kUint8, 2), image_shard(1, PixelType::kUint8, 2)},
      keys, false);
  RankShards automatic(dir, old, "train", 1, 0, &keys);
  EXPECT_FALSE(automatic.uses_chunk_index());
  RankShards reference(indexed_dir, indexed, "train", 1, 0, &keys);
  EXPECT_TRUE(identical(read_all(automatic), read_all(reference)));
  const std::string message = user_error_of(
      [&] { RankShards(dir, old, "train", 1, 0, &keys, ShardReadPath::kChunkIndex); });
  EXPECT_CONTAINS(message, "train-00000.h5");
  EXPECT_CONTAINS(message, "re-run `galien shard` to add a chunk index");
  EXPECT_CONTAINS(message, "trainer.shard_reader");
  // The config values.
  EXPECT_EQ(shard_read_path("auto"), ShardReadPath::kAuto);
  EXPECT_EQ(shard_read_path("chunk_index"), ShardReadPath::kChunkIndex);
  EXPECT_EQ(shard_read_path("hdf5"), ShardReadPath::kHdf5);
  EXPECT_CONTAINS(user_error_of([] { shard_read_path("fast"); }), "trainer.shard_reader");
}

TEST(ChunkIndex, DamagedIndexIsAUserErrorNamingTheShardNeverABadRead) {
  const std::string dir = scratch("damaged");
  const std::string path = dir + "/train-00000.h5";
  for (int gzip : {0, 4}) {
    write_shard(path, image_shard(0, PixelType::kFloat16, gzip));
    const std::vector<std::uint64_t> good = index_rows(path, "/image_chunks");
    const auto file_size = static_cast<std::uint64_t>(fs::file_size(path));
    auto damaged = [&](const char* name, std::vector<std::uint64_t> rows, hsize_t columns,
                       const std::string& part) {
      write_shard(path, image_shard(0, PixelType::kFloat16, gzip));
      rewrite_index(path, name, rows, columns);
      std::string message;
      for (ShardReadPath mode : {ShardReadPath::kAuto, ShardReadPath::kChunkIndex}) {
        message = user_error_of([&] { ShardReader reader(file_bytes(path), path, mode); });
        EXPECT_CONTAINS(message, path);
        EXPECT_CONTAINS(message, "chunk index");
        EXPECT_CONTAINS(message, "re-run `galien shard`");
        EXPECT_CONTAINS(message, part);
      }
      // The HDF5 path does not read the index at all.
      const ShardReader hdf5(file_bytes(path), path, ShardReadPath::kHdf5);
      std::vector<std::uint8_t> raw(96);
      EXPECT_NO_THROW(hdf5.read_image_raw(2, raw.data()));
    };
    std::vector<std::uint64_t> rows = good;
    rows[3 * 2] = file_size + 10;  // beyond the file
    damaged("/image_chunks", rows, 3, "outside the file");
    rows = good;
    rows[3 * 2] = file_size - rows[3 * 2 + 1] / 2;  // starts inside, ends outside
    damaged("/image_chunks", rows, 3, "outside the file");
    rows = good;
    rows[3 * 2] = ~std::uint64_t{0} - 4;  // offset + size overflows
    damaged("/image_chunks", rows, 3, "outside the file");
    rows = good;
    rows[3 * 1 + 1] = gzip ? 1000000 : 95;  // a size that no sample of 96 bytes has
    damaged("/image_chunks", rows, 3, gzip ? "compressed" : "not one sample of 96 bytes");
    rows = good;
    rows[3 * 3 + 2] = 4;  // skips a third filter of a pipeline of 0 or 2
    damaged("/image_chunks", rows, 3, "filter");
    rows = good;
    std::swap(rows[0], rows[3]);  // samples 0 and 1 swapped: HDF5 disagrees
    damaged("/image_chunks", rows, 3, "not where HDF5 has its chunk");
    rows = good;
    rows[3 * 2] = rows[3 * 1];  // two samples in one chunk
    damaged("/image_chunks", rows, 3, "overlaps");
    rows = good;
    rows.resize(4 * 3);  // a sample short
    damaged("/image_chunks", rows, 3, "uint64 [num_samples, 3]");
    damaged("/image_chunks", std::vector<std::uint64_t>(10, 0), 2, "uint64 [num_samples, 3]");
    damaged("/mask_chunks", {}, 3, "/image_chunks without /mask_chunks");
  }
}

TEST(ChunkIndex, LockFreeIndexReadsBesideHdf5ReadsOnOtherThreads) {
  const std::string dir = scratch("threads");
  const DataKeys keys = test_keys(dir);
  const Manifest m = write_dataset(
      dir, {image_shard(0, PixelType::kUint8, 1), image_shard(1, PixelType::kUint8, 0)}, keys,
      true);
  RankShards a(dir, m, "train", 1, 0, &keys, ShardReadPath::kChunkIndex);
  RankShards b(dir, m, "train", 1, 0, &keys, ShardReadPath::kChunkIndex);
  RankShards c(dir, m, "train", 1, 0, &keys, ShardReadPath::kHdf5);
  const Read expected = read_all(c);
  bool same_a = true, same_b = true, same_c = true;
  std::thread ta([&] {
    for (int r = 0; r < 30; ++r) same_a &= identical(read_all(a), expected);
  });
  std::thread tb([&] {
    for (int r = 0; r < 30; ++r) same_b &= identical(read_all(b), expected);
  });
  for (int r = 0; r < 30; ++r) same_c &= identical(read_all(c), expected);
  ta.join();
  tb.join();
  EXPECT_TRUE(same_a && same_b && same_c);
}

}  // namespace
}  // namespace galien
