// Shard format 1.1: optional image, mask, meta, multi-label and survival datasets; the
// per-sample reader; float16 conversion.
#include <hdf5.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/hash.h"
#include "datasets/imaging/float16.h"
#include "datasets/shard.h"
#include "datasets/shard_reader.h"
#include "imaging_test_util.h"

namespace galien {
namespace {

using imaging_test::scratch;
using imaging_test::user_error_of;

std::string pseudonym(int i) { return sha256_hex(std::string_view("p" + std::to_string(i))); }

// 3 samples of [1, 2, 3, 4] (C, D, H, W): pixel k of sample i = (i * 50 + k) as stored type.
ShardData image_shard(PixelType dtype, int gzip) {
  ShardData shard;
  shard.split = "train";
  shard.num_features = 1;
  for (int i = 0; i < 3; ++i) {
    shard.pseudonyms.push_back(pseudonym(i));
    shard.labels.push_back(i % 2);
    shard.features.push_back(0.5f * i);
  }
  shard.images.dtype = dtype;
  shard.images.shape = {1, 2, 3, 4};
  shard.images.has_mask = true;
  shard.images.gzip_level = gzip;
  shard.images.fill = [dtype](std::int64_t i, void* pixels, std::uint8_t* mask) {
    for (int k = 0; k < 24; ++k) {
      float value = static_cast<float>(i * 50 + k);
      if (dtype == PixelType::kUint8) static_cast<std::uint8_t*>(pixels)[k] = value;
      else static_cast<std::uint16_t*>(pixels)[k] = float_to_half(value / 8);
      mask[k] = static_cast<std::uint8_t>((k + i) % 3);
    }
    return "{\"modality\":\"CT\",\"sample\":" + std::to_string(i) + "}";
  };
  shard.num_labels_multi = 2;
  shard.labels_multi = {1, 0, 0, 1, 1, 1};
  shard.time = {3.5f, 10.0f, 1.25f};
  shard.event = {1, 0, 1};
  return shard;
}

TEST(ImagingShard, Float16RoundTripsEveryHalfAndRoundsToNearestEven) {
  for (std::uint32_t bits = 0; bits < 0x10000u; ++bits) {
    float value = half_to_float(static_cast<std::uint16_t>(bits));
    if (std::isnan(value)) continue;
    ASSERT_EQ(float_to_half(value), bits) << bits;
  }
  EXPECT_EQ(half_to_float(float_to_half(1.0f)), 1.0f);
  EXPECT_EQ(half_to_float(float_to_half(-1024.0f)), -1024.0f);
  EXPECT_EQ(half_to_float(float_to_half(2049.0f)), 2048.0f);  // tie -> even
  EXPECT_EQ(half_to_float(float_to_half(2051.0f)), 2052.0f);
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
}

TEST(ImagingShard, RoundTripOfEveryOptionalDatasetAndPerSampleReads) {
  std::string dir = scratch("roundtrip");
  for (PixelType dtype : {PixelType::kUint8, PixelType::kFloat16}) {
    for (int gzip : {0, 4}) {
      std::string path = dir + "/s" + std::to_string(int(dtype)) + std::to_string(gzip) + ".h5";
      write_shard(path, image_shard(dtype, gzip));
      ShardData back = read_shard(path);
      EXPECT_EQ(back.images.shape, (std::vector<std::int64_t>{1, 2, 3, 4}));
      EXPECT_EQ(back.images.dtype, dtype);
      EXPECT_TRUE(back.images.has_mask);
      ASSERT_EQ(back.images.meta.size(), 3u);
      EXPECT_EQ(back.images.meta[2], "{\"modality\":\"CT\",\"sample\":2}");
      EXPECT_EQ(back.num_labels_multi, 2);
      EXPECT_EQ(back.labels_multi, (std::vector<std::uint8_t>{1, 0, 0, 1, 1, 1}));
      EXPECT_EQ(back.time, (std::vector<float>{3.5f, 10.0f, 1.25f}));
      EXPECT_EQ(back.event, (std::vector<std::uint8_t>{1, 0, 1}));

      ShardReader reader(path);
      ASSERT_TRUE(reader.has_image() && reader.has_mask());
      std::vector<float> image(24);
      std::vector<std::uint8_t> mask(24);
      for (std::int64_t i : {2, 0, 1}) {  // any order: each read touches one chunk
        reader.read_image(i, image.data());
        reader.read_mask(i, mask.data());
        for (int k = 0; k < 24; ++k) {
          float expected = (i * 50 + k) / (dtype == PixelType::kUint8 ? 1.0f : 8.0f);
          ASSERT_EQ(image[k], expected) << i << " " << k;
          ASSERT_EQ(mask[k], (k + i) % 3);
        }
      }
      EXPECT_EQ(reader.data().labels, (std::vector<std::int64_t>{0, 1, 0}));
    }
  }
}

TEST(ImagingShard, ReaderOfAShardHeldInMemory) {
  std::string path = scratch("memory") + "/s.h5";
  write_shard(path, image_shard(PixelType::kFloat16, 4));
  std::string bytes = read_file(path);
  ShardReader reader(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), path);
  std::vector<float> image(24);
  reader.read_image(1, image.data());
  EXPECT_EQ(image[23], (50 + 23) / 8.0f);
  EXPECT_EQ(reader.data().pseudonyms[1], pseudonym(1));
}

TEST(ImagingShard, ImagesAreChunkedOneSamplePerChunk) {
  std::string path = scratch("chunks") + "/s.h5";
  write_shard(path, image_shard(PixelType::kUint8, 4));
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  for (const char* name : {"/image", "/mask"}) {
    hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(dataset);
    hsize_t chunk[5] = {};
    int rank = H5Pget_chunk(dcpl, 5, chunk);
    EXPECT_EQ(chunk[0], 1u) << name;
    EXPECT_EQ(chunk[rank - 1], 4u) << name;  // the whole sample in one chunk
    EXPECT_EQ(H5Pget_nfilters(dcpl), 2) << name;  // shuffle + gzip
    H5Pclose(dcpl);
    H5Dclose(dataset);
  }
  H5Fclose(file);
}

TEST(ImagingShard, SameImagesGiveIdenticalBytes) {
  std::string dir = scratch("identical");
  write_shard(dir + "/a.h5", image_shard(PixelType::kFloat16, 4));
  write_shard(dir + "/b.h5", image_shard(PixelType::kFloat16, 4));
  EXPECT_EQ(sha256_file_hex(dir + "/a.h5"), sha256_file_hex(dir + "/b.h5"));
}

TEST(ImagingShard, TabularShardsHaveNoImageAndStillRead) {
  std::string path = scratch("tabular") + "/s.h5";
  ShardData shard = image_shard(PixelType::kUint8, 0);
  shard.images = ShardImages{};
  shard.num_labels_multi = 0;
  shard.labels_multi.clear();
  shard.time.clear();
  shard.event.clear();
  write_shard(path, shard);
  ShardReader reader(path);
  EXPECT_FALSE(reader.has_image());
  EXPECT_EQ(reader.num_samples(), 3);
  std::vector<float> image(24);
  EXPECT_CONTAINS(user_error_of([&] { reader.read_image(0, image.data()); }), "no dataset");
}

TEST(ImagingShard, ReadableByH5pyAsUint8AndFloat16) {
  std::string dir = scratch("h5py");
  write_shard(dir + "/u8.h5", image_shard(PixelType::kUint8, 4));
  write_shard(dir + "/f16.h5", image_shard(PixelType::kFloat16, 0));
  std::string check =
      "import h5py, sys; a = h5py.File(sys.argv[1])['image']; b = h5py.File(sys.argv[2]);"
      "assert a.dtype == 'uint8' and a.shape == (3, 1, 2, 3, 4) and a.chunks == (1, 1, 2, 3, 4);"
      "assert b['image'].dtype == 'float16' and float(b['image'][2, 0, 1, 2, 3]) == (100 + 23) / 8;"
      "assert b['mask'].shape == (3, 2, 3, 4) and b['labels_multi'].shape == (3, 2);"
      "assert list(b['event'][:]) == [1, 0, 1]";
  std::string command = "/usr/bin/python3 -c \"" + check + "\" " + dir + "/u8.h5 " + dir +
                        "/f16.h5";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(ImagingShard, InconsistentOptionalDatasetsAreRefusedNamingTheShard) {
  std::string path = scratch("damaged") + "/s.h5";
  write_shard(path, image_shard(PixelType::kUint8, 0));
  // A /time without /event, written by hand: the reader must name the shard.
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(file, "/event", H5P_DEFAULT);
  H5Fclose(file);
  std::string message = user_error_of([&] { read_shard(path); });
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "only one of /time and /event");
}

}  // namespace
}  // namespace galien
