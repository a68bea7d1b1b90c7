#include "datasets/rank_shards.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "datasets/shard_store.h"

namespace galien {

RankShards::RankShards(const std::string& shard_dir, const Manifest& manifest,
                       const std::string& split, int world_size, int rank)
    : RankShards(shard_dir, manifest, split, world_size, rank, nullptr) {}

RankShards::RankShards(const std::string& shard_dir, const Manifest& manifest,
                       const std::string& split, int world_size, int rank, const DataKeys* keys)
    : num_features_(manifest.num_features()) {
  // A key with an unauthenticated manifest would verify shards against unverified checksums.
  GALIEN_CHECK(keys == nullptr || manifest.authenticated,
               "RankShards got a key but a manifest not loaded by load_manifest(dir, keys)");
  auto it = manifest.splits.find(split);
  if (it == manifest.splits.end() || it->second.shards.empty())
    GALIEN_USER_ERROR(shard_dir << "/manifest.json has no '" << split << "' split; re-run "
                      << "`galien shard` for this dataset");
  const SplitInfo& info = it->second;
  for (const auto& entry : info.shards) shard_sizes_.push_back(entry.num_samples);
  loaded_.resize(info.shards.size());
  owned_ = EpochPlan::owned_shards(static_cast<int>(info.shards.size()), world_size, rank);
  // Every shard of the split is checked (cheap for tables, and a rank never trains on a split
  // that another rank would reject); only the owned ones are read, each file once.
  std::vector<bool> owned(info.shards.size(), false);
  for (int s : owned_) owned[static_cast<std::size_t>(s)] = true;
  for (std::size_t s = 0; s < info.shards.size(); ++s) {
    if (!owned[s]) {
      check_shard_file(shard_dir, info.shards[s], manifest);
      continue;
    }
    ShardData shard = load_shard(shard_dir, info.shards[s], manifest, keys);
    if (shard.num_features != num_features_)
      GALIEN_USER_ERROR("shard " << info.shards[s].file << " in " << shard_dir << " holds "
                        << shard.num_features << " features but manifest.json says "
                        << num_features_ << "; re-run `galien shard`");
    loaded_[s] = std::move(shard);
  }
}

std::int64_t RankShards::num_owned_samples() const {
  std::int64_t total = 0;
  for (int s : owned_) total += shard_sizes_[static_cast<std::size_t>(s)];
  return total;
}

void RankShards::gather(const std::vector<SampleRef>& samples, float* features,
                        std::int64_t* labels) const {
  const auto width = static_cast<std::size_t>(num_features_);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardData& shard = loaded_[static_cast<std::size_t>(samples[i].shard)];
    GALIEN_CHECK(samples[i].index < shard.num_samples(),
                 "sample " << samples[i].index << " of shard " << samples[i].shard
                           << " is not loaded on this rank");
    const auto row = static_cast<std::size_t>(samples[i].index);
    std::memcpy(features + i * width, shard.features.data() + row * width, width * sizeof(float));
    labels[i] = shard.labels[row];
  }
}

std::vector<SampleRef> RankShards::all_owned_samples() const {
  std::vector<SampleRef> samples;
  for (int s : owned_)
    for (std::int64_t i = 0; i < shard_sizes_[static_cast<std::size_t>(s)]; ++i)
      samples.push_back({s, i});
  return samples;
}

}  // namespace galien
