#include "datasets/shard_store.h"

#include <filesystem>
#include <optional>

#include "core/error.h"
#include "core/hash.h"
#include "datasets/encrypted_shard.h"

namespace galien {
namespace {

// The absolute path of a listed shard; UserError when the file is missing.
std::string existing_shard_path(const std::string& dir, const ShardEntry& entry) {
  std::string path = std::filesystem::absolute(std::filesystem::path(dir) / entry.file).string();
  if (!std::filesystem::is_regular_file(path)) {
    GALIEN_USER_ERROR("shard " << path << " listed in manifest.json is missing: copy the whole "
                               << "shard directory again");
  }
  return path;
}

std::string sha256_of(const FileBytes& file) {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(file.data.get()), file.size));
}

Key256 shard_key(const Manifest& manifest, const DataKeys* keys, const std::string& path,
                 const std::string& file) {
  if (keys == nullptr) {
    GALIEN_USER_ERROR("shard " << path << " is encrypted (manifest.json: encryption "
                               << manifest.encryption->algorithm << ") and no key was given: set "
                               << "privacy.key_file (galien train) or pass --key (galien verify)"
                               << " with the data key of this dataset (`galien keygen --data-key`) "
                               << "or the data controller's key, key id " << manifest.key_id);
  }
  return keys->shard_key(dataset_identity(manifest), from_hex(manifest.encryption->salt), file);
}

// What the manifest knows about `entry`, to explain a failed decryption.
ShardExpectation expectation(const ShardEntry& entry, const Manifest& manifest,
                             const DataKeys* keys) {
  return {entry.sha256, manifest.key_id, keys ? keys->key_id() : std::string()};
}

void check_sample_count(const ShardData& shard, const ShardEntry& entry, const std::string& path) {
  if (shard.num_samples() != entry.num_samples) {
    GALIEN_USER_ERROR("shard " << path << " holds " << shard.num_samples()
                               << " samples but manifest.json says " << entry.num_samples
                               << ": re-run `galien shard`");
  }
}

}  // namespace

EncryptionInfo new_encryption_info() {
  EncryptionInfo info;
  Bytes salt = random_bytes(32);
  info.salt = to_hex(salt.data(), salt.size());
  return info;
}

std::string shard_file_name(const std::string& plain_name, const Manifest& manifest) {
  return manifest.encryption ? plain_name + kEncryptedShardSuffix : plain_name;
}

ShardEntry store_shard(const std::string& dir, const std::string& file, const ShardData& shard,
                       const Manifest& manifest, const DataKeys* keys) {
  const std::string path = (std::filesystem::path(dir) / file).string();
  if (manifest.encryption) {
    write_encrypted_shard(path, shard, shard_key(manifest, keys, path, file));
  } else {
    write_shard(path, shard);
  }
  return {file, shard.num_samples(), sha256_file_hex(path)};
}

ShardData load_shard(const std::string& dir, const ShardEntry& entry, const Manifest& manifest,
                     const DataKeys* keys) {
  const std::string path = existing_shard_path(dir, entry);
  // Key first: a missing key is reported before any byte is read.
  std::optional<Key256> key;
  if (manifest.encryption) key = shard_key(manifest, keys, path, entry.file);
  FileBytes file = read_shard_bytes(path);
  ShardData shard;
  if (key) {
    shard = open_encrypted_shard(file.data.get(), file.size, path, *key,
                                 expectation(entry, manifest, keys));
  } else {
    check_shard_sha256(path, sha256_of(file), entry, manifest);
    shard = read_shard_image(file.data.get(), file.size, path);
  }
  check_sample_count(shard, entry, path);
  return shard;
}

std::vector<std::uint8_t> load_shard_image(const std::string& dir, const ShardEntry& entry,
                                           const Manifest& manifest, const DataKeys* keys) {
  const ShardImageBytes image = load_verified_shard(dir, entry, manifest, keys);
  return std::vector<std::uint8_t>(image.data, image.data + image.size);
}

ShardImageBytes load_verified_shard(const std::string& dir, const ShardEntry& entry,
                                    const Manifest& manifest, const DataKeys* keys) {
  const std::string path = existing_shard_path(dir, entry);
  if (manifest.encryption) {
    return decrypt_shard_file_in_place(path, shard_key(manifest, keys, path, entry.file),
                                       expectation(entry, manifest, keys));
  }
  ShardImageBytes image;
  image.bytes = read_shard_bytes(path);
  check_shard_sha256(path, sha256_of(image.bytes), entry, manifest);
  image.data = image.bytes.data.get();
  image.size = image.bytes.size;
  return image;
}

void check_shard_present(const std::string& dir, const ShardEntry& entry) {
  existing_shard_path(dir, entry);
}

void check_shard_file(const std::string& dir, const ShardEntry& entry, const Manifest& manifest) {
  const std::string path = existing_shard_path(dir, entry);
  check_shard_sha256(path, sha256_file_hex(path), entry, manifest);
}

}  // namespace galien
