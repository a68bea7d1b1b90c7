#include "datasets/split_check.h"

#include <unordered_map>

#include "datasets/shard_store.h"

namespace galien {

WrittenSplits check_written_splits(const std::string& dir, const Manifest& manifest,
                                   const DataKeys& keys) {
  WrittenSplits result;
  std::unordered_map<std::string, std::string> split_of;
  std::unordered_map<std::string, bool> counted;
  for (const auto& [name, split] : manifest.splits) {
    for (const ShardEntry& entry : split.shards) {
      const ShardData shard = load_shard(dir, entry, manifest, &keys);
      for (const std::string& pseudonym : shard.pseudonyms) {
        ++result.samples_read;
        auto [it, inserted] = split_of.emplace(pseudonym, name);
        if (!inserted && it->second != name && !counted[pseudonym]) {
          counted[pseudonym] = true;
          ++result.patients_in_several_splits;
        }
      }
    }
  }
  result.patients = static_cast<std::int64_t>(split_of.size());
  return result;
}

}  // namespace galien
