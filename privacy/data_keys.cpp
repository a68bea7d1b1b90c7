#include "privacy/data_keys.h"

namespace galien {
namespace {

// Part of the format (docs/FORMAT.md): changing one changes every key derived from it.
constexpr const char* kDataKeyInfo = "galien data key v1";
constexpr const char* kManifestKeyInfo = "galien manifest v1";
constexpr const char* kShardKeyInfoPrefix = "galien shard v1:";

}  // namespace

DataKeys::DataKeys(const SecretKey& controller_key)
    : key_id_(controller_key.key_id()),
      data_key_(hkdf_key(Key256(controller_key.bytes.data()), {}, kDataKeyInfo)),
      manifest_key_(hkdf_key(data_key_, {}, kManifestKeyInfo)) {}

Key256 DataKeys::shard_key(const Bytes& dataset_salt, const std::string& file) const {
  return hkdf_key(data_key_, dataset_salt, kShardKeyInfoPrefix + file);
}

std::optional<DataKeys> load_data_keys(const std::string& key_file) {
  if (key_file.empty()) return std::nullopt;
  SecretKey key = load_key_file(key_file);
  DataKeys keys(key);
  wipe(key.bytes.data(), key.bytes.size());
  return keys;
}

}  // namespace galien
