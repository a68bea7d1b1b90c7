// Key files: the data controller's 32-byte key, and the data keys derived from it for one dataset
// (docs/FORMAT.md, "Key files"). galien never prints, logs or stores a key; outputs carry only key
// ids (one-way fingerprints) so a reader can tell which key was used.
//
// Two kinds, told apart by their content:
//   controller key  exactly 32 random bytes (`galien keygen PATH`): makes pseudonyms, opens every
//                   dataset it sharded. Stays on the data controller's machine.
//   data key        a short text file (`galien keygen --data-key ...`) starting with the line
//                   "galien-data-key 1": opens one dataset's shards (decrypts, authenticates),
//                   cannot make pseudonyms or open another dataset. This is what a compute site gets.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "privacy/crypto.h"

namespace galien {

struct SecretKey {
  std::array<std::uint8_t, 32> bytes{};
  // First 16 hex digits of HMAC-SHA256(key, "galien key id v1"): identifies the key, reveals
  // nothing.
  std::string key_id() const;
};

// What a data key file holds.
struct DataKeyFile {
  std::string dataset_id;         // 16 hex digits: the one dataset this key opens (manifest.json)
  std::string controller_key_id;  // key id of the controller key it was derived from
  Key256 key;                     // the dataset key (docs/FORMAT.md, "Keys")
  // Key id of the data key itself (same fingerprint as SecretKey::key_id()).
  std::string key_id() const;
};

enum class KeyKind { kController, kData };

// A key file of either kind, as loaded.
struct AnyKeyFile {
  KeyKind kind = KeyKind::kController;
  SecretKey controller;  // kController
  DataKeyFile data;      // kData
  std::string key_id() const { return kind == KeyKind::kController ? controller.key_id() : data.key_id(); }
};

// Creates a new random controller key (OpenSSL RAND_bytes) with mode 0600. Refuses to overwrite.
void generate_key_file(const std::string& path);
// Writes a data key file, mode 0600, refusing to overwrite.
void write_data_key_file(const std::string& path, const DataKeyFile& key);

// Either kind. Refuses (UserError naming the path and what to do) a missing file, a mode
// readable/writable by group or others, or content that is neither kind.
AnyKeyFile load_any_key_file(const std::string& path);
// The data controller's key only: a data key is refused with what it can and cannot do, for the
// commands that make pseudonyms (`purpose`, e.g. "`galien shard` makes pseudonyms").
SecretKey load_key_file(const std::string& path,
                        const std::string& purpose = "this command makes pseudonyms");

}  // namespace galien
