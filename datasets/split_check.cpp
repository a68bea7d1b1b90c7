#include "datasets/split_check.h"

#include <unordered_map>
#include <unordered_set>

#include "datasets/shard_store.h"

namespace galien {

WrittenSplits check_written_splits(const std::string& dir, const Manifest& manifest,
                                   const DataKeys& keys) {
  WrittenSplits result;
  std::unordered_map<std::string, std::string> split_of;
  std::unordered_set<std::string> in_several;
  for (const auto& [name, split] : manifest.splits) {
    for (const ShardEntry& entry : split.shards) {
      for (const std::string& pseudonym : load_shard(dir, entry, manifest, &keys).pseudonyms) {
        ++result.samples_read;
        auto [it, inserted] = split_of.emplace(pseudonym, name);
        if (!inserted && it->second != name) in_several.insert(pseudonym);
      }
    }
  }
  result.patients = static_cast<std::int64_t>(split_of.size());
  result.patients_in_several_splits = static_cast<std::int64_t>(in_several.size());
  return result;
}

}  // namespace galien
