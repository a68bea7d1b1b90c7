// The keys galien derives from the data controller's key (docs/FORMAT.md, "Keys"). Every key is
// HKDF-SHA256 with a fixed, versioned info string, so each has one purpose and knowing one
// reveals nothing about another or about the controller's key:
//
//   controller key (privacy.key_file; also makes pseudonyms)
//     -> data key     = HKDF(controller, salt = none, info = "galien data key v1")
//          -> manifest key = HKDF(data key, salt = none, info = "galien manifest v1")
//          -> shard key    = HKDF(data key, salt = dataset salt, info = "galien shard v1:" + file)
//
// Readers need only the data key: a later version can hand ranks the data key alone, which
// decrypts and verifies shards but cannot compute pseudonyms. The format does not change then.
#pragma once

#include <optional>
#include <string>

#include "privacy/crypto.h"
#include "privacy/key_file.h"

namespace galien {

class DataKeys {
 public:
  explicit DataKeys(const SecretKey& controller_key);

  // Key id of the controller key (manifest.json's key_id).
  const std::string& key_id() const { return key_id_; }
  const Key256& manifest_key() const { return manifest_key_; }
  // `dataset_salt`: the random salt manifest.json records; `file`: the shard's file name. A
  // different dataset (salt) or file name gives an unrelated key.
  Key256 shard_key(const Bytes& dataset_salt, const std::string& file) const;

 private:
  std::string key_id_;
  Key256 data_key_;
  Key256 manifest_key_;
};

// What to say wherever data written under one controller key is opened with another (the
// manifest's HMAC, an encrypted shard): what happened and the two ways out, by key id only
// (never a key). `data_key_id`: the key id the shards were written with; `given_key_id`: the
// key id of the key file the reader was given.
std::string wrong_key_advice(const std::string& data_key_id, const std::string& given_key_id);

// The keys of privacy.key_file for a reader: none when `key_file` is empty (then only SHA-256
// checks are possible, and encrypted shards are refused); otherwise the file must load
// (load_key_file's checks: exists, 32 bytes, mode 0600).
std::optional<DataKeys> load_data_keys(const std::string& key_file);

}  // namespace galien
