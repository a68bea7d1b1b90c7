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

class DataKeys;

class RankShards {
 public:
  // Without a key: plain shards only, each verified by SHA-256 against the (unauthenticated)
  // manifest, then the owned ones loaded.
  RankShards(const std::string& shard_dir, const Manifest& manifest, const std::string& split,
             int world_size, int rank);
  // With the data controller's keys: `manifest` must come from load_manifest(dir, keys) (HMAC
  // checked). Owned shards are authenticated (SHA-256 against the authenticated manifest, or
  // the AES-256-GCM tag for encrypted shards) and decrypted in memory; the others are checked
  // by SHA-256. Any failure is a UserError naming the shard, before training starts.
  RankShards(const std::string& shard_dir, const Manifest& manifest, const std::string& split,
             int world_size, int rank, const DataKeys* keys);

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
