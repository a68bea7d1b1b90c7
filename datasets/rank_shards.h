// The shards of one split that this rank owns, verified against the manifest and held in
// memory (clinical tables are small; image shards will be read per sample in a later version).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/epoch_plan.h"
#include "datasets/manifest.h"
#include "datasets/shard.h"

namespace galien {

class RankShards {
 public:
  // Verifies (SHA-256 against the manifest) and loads the shards of `split` that `rank` owns.
  RankShards(const std::string& shard_dir, const Manifest& manifest, const std::string& split,
             int world_size, int rank);

  const std::vector<std::int64_t>& shard_sizes() const { return shard_sizes_; }  // every shard
  const std::vector<int>& owned() const { return owned_; }
  std::int64_t num_features() const { return num_features_; }
  std::int64_t num_owned_samples() const;

  // Copies the samples' features (row-major) and labels into the given buffers.
  void gather(const std::vector<SampleRef>& samples, float* features, std::int64_t* labels) const;
  // Every owned sample in a fixed order (evaluation).
  std::vector<SampleRef> all_owned_samples() const;

 private:
  std::vector<std::int64_t> shard_sizes_;
  std::vector<int> owned_;
  std::vector<ShardData> loaded_;  // indexed like shard_sizes_; empty when not owned
  std::int64_t num_features_ = 0;
};

}  // namespace galien
