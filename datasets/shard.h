// One HDF5 shard of one split (format version 1, documented in docs/FORMAT.md).
//
//   /                 attributes: format = "galien-shard", format_version_major = 1,
//                     format_version_minor = 0, split, shard_index, num_shards, num_samples,
//                     num_features
//   /pseudonym        fixed-length string[num_samples] (64 hex chars, HMAC-SHA256)
//   /features         float32[num_samples, num_features], standardised with train statistics
//   /label            int64[num_samples], class index
//
// The reader validates every attribute and dataset shape and names the file on any mismatch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

constexpr int kShardFormatMajor = 1;
constexpr int kShardFormatMinor = 0;

struct ShardData {
  std::string split;                   // "train" | "val" | "test"
  int shard_index = 0;
  int num_shards = 1;
  std::int64_t num_features = 0;
  std::vector<std::string> pseudonyms; // one per sample
  std::vector<float> features;         // row-major [num_samples x num_features]
  std::vector<std::int64_t> labels;    // one per sample

  std::int64_t num_samples() const { return static_cast<std::int64_t>(labels.size()); }
};

void write_shard(const std::string& path, const ShardData& shard);
// Throws UserError naming `path` when the file is not a galien shard, has a newer major
// version, or its datasets disagree with its header.
ShardData read_shard(const std::string& path);

}  // namespace galien
