// One HDF5 shard of one split (format version 1, documented in docs/FORMAT.md).
//
//   /                 attributes: format = "galien-shard", format_version_major = 1,
//                     format_version_minor = 2 (4 with images, 3 for images without the chunk
//                     index but with /extent), split, shard_index,
//                     num_shards, num_samples, num_features
//   /pseudonym        fixed-length string[num_samples] (64 hex chars, HMAC-SHA256)
//   /features         float32[num_samples, num_features], standardised with train statistics
//   /label            int64[num_samples], class index
//
// Optional since 1.1 (datasets/shard_images.h): /image (uint8 or float16 [N, C, (D,) H, W], one
// sample per chunk), /mask (uint8 [N, (D,) H, W]), /image_meta, /labels_multi (uint8 [N, K]),
// /time (float32 [N]) + /event (uint8 [N]). Optional since 1.2: /target (float32 [N], the raw
// regression target). Optional since 1.3: /extent (int32 [N, 3], each sample's real size D, H,
// W inside the padded /image and /mask of segmentation cases of different sizes). Since 1.4,
// with /image: /image_chunks and /mask_chunks (uint64 [N, 3]: each sample's chunk offset in
// the file, stored size, filter mask; datasets/chunk_index.h), so an in-memory reader decodes
// samples without an HDF5 call each. read_shard
// reads everything but pixels; pixels are read one sample at a time by ShardReader
// (datasets/shard_reader.h).
//
// The reader validates every attribute and dataset shape and names the file on any mismatch.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace galien {

constexpr int kShardFormatMajor = 1;
// The newest minor version this galien reads and writes. 1.1: optional image, mask and label
// datasets; 1.2: /target; 1.3: /extent; 1.4: the chunk index of image shards. A shard records
// the lowest version that describes it (1.4 for image shards, which all get the index; 1.3
// only with /extent), so shards without images (tables) keep their bytes.
constexpr int kShardFormatMinor = 4;

enum class PixelType { kUint8, kFloat16 };

// Per-sample images of a shard (format 1.1). `shape` empty = the shard has no /image.
struct ShardImages {
  PixelType dtype = PixelType::kUint8;
  std::vector<std::int64_t> shape;  // one sample: [C, H, W] or [C, D, H, W]
  bool has_mask = false;            // /mask: uint8, one sample's shape without C
  int gzip_level = 0;               // 0 = uncompressed chunks
  // Writing: fills sample i's pixels (product(shape) uint8, or IEEE half bits as uint16) and,
  // with has_mask, its mask, and returns its /image_meta entry: a JSON object of allow-listed,
  // non-identifying attributes (modality, spacing, ...), "" = none. Called once per sample in
  // order, so images stream from their source instead of sitting in memory. Not set by
  // read_shard (pixels: ShardReader).
  std::function<std::string(std::int64_t sample, void* pixels, std::uint8_t* mask)> fill;
  // Reading: the /image_meta entry of each sample (empty when the shard has none).
  std::vector<std::string> meta;
  // 1.3, /extent: each sample's real size (D, H, W; D = 1 for 2D) at the start of each axis of
  // `shape`, the rest padding (zeros); row-major [N x 3]. Empty = every sample fills `shape`.
  // Written when set (with images), read by read_shard.
  std::vector<std::int32_t> extents;
  // 1.4, /image_chunks and /mask_chunks: record where each sample's chunk lies (the chunk
  // index, datasets/chunk_index.h). Writing only; false writes the shard as galien < 1.4 did
  // (what the tests of older shards need). ShardReader finds the index itself.
  bool chunk_index = true;

  std::int64_t sample_pixels() const;  // product(shape)
  std::int64_t mask_pixels() const;    // product(shape) / C
  std::size_t pixel_bytes() const { return dtype == PixelType::kUint8 ? 1 : 2; }
  // Sample i's real size [D, H, W]: its /extent row, else the full spatial shape.
  std::array<std::int64_t, 3> extent(std::int64_t sample) const;
};

struct ShardData {
  std::string split;                   // "train" | "val" | "test"
  int shard_index = 0;
  int num_shards = 1;
  std::int64_t num_features = 0;
  std::vector<std::string> pseudonyms; // one per sample
  std::vector<float> features;         // row-major [num_samples x num_features]
  std::vector<std::int64_t> labels;    // one per sample
  // Optional (1.1), each empty = absent:
  ShardImages images;
  std::int64_t num_labels_multi = 0;        // K of /labels_multi
  std::vector<std::uint8_t> labels_multi;   // row-major [num_samples x K], 0 or 1
  std::vector<float> time;                  // survival time per sample
  std::vector<std::uint8_t> event;          // 1 = event observed, 0 = censored
  std::vector<float> target;                // 1.2: raw regression target per sample

  std::int64_t num_samples() const { return static_cast<std::int64_t>(labels.size()); }
};

void write_shard(const std::string& path, const ShardData& shard);
// Throws UserError naming `path` when the file is not a galien shard, has a newer major
// version, or its datasets disagree with its header.
ShardData read_shard(const std::string& path);

// The same HDF5 file built in memory (core driver, no backing store): no byte of it touches the
// disk. `name` only labels errors. Used by the encrypted writer (datasets/encrypted_shard.h).
std::vector<std::uint8_t> shard_file_image(const ShardData& shard, const std::string& name);
// Reads a shard from an HDF5 file image in memory, in place (`image` is neither copied nor
// freed, and must stay valid during the call); errors name `path` as read_shard's do.
ShardData read_shard_image(void* image, std::size_t size, const std::string& path);

}  // namespace galien
