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

std::string wrong_key_advice(const std::string& data_key_id, const std::string& given_key_id) {
  return "these shards were written with key id " + data_key_id +
         ", but the key file given (privacy.key_file, or --key of galien verify) has key id " +
         given_key_id + ". Either it is the wrong key file: use the data controller's key whose "
         "key id is " + data_key_id + "; or the shards were written with another key than "
         "intended: re-run `galien shard` with this key";
}

std::optional<DataKeys> load_data_keys(const std::string& key_file) {
  if (key_file.empty()) return std::nullopt;
  SecretKey key = load_key_file(key_file);
  DataKeys keys(key);
  wipe(key.bytes.data(), key.bytes.size());
  return keys;
}

}  // namespace galien
