// The keys galien derives from the data controller's key (docs/FORMAT.md, "Keys"). Every key is
// HKDF-SHA256 with a fixed, versioned info string, so each has one purpose and knowing one
// reveals nothing about another or about the controller's key:
//
//   controller key (stays with the data controller; also makes pseudonyms)
//     -> root data key = HKDF(controller, salt = none, info = "galien data key v1")
//          -> dataset key  = HKDF(root, salt = dataset_salt, info = "galien dataset key v1")  (1.4)
//               -> manifest key = HKDF(dataset key, salt = none, info = "galien manifest v1")
//               -> shard key    = HKDF(dataset key, salt = encryption.salt,
//                                      info = "galien shard v1:" + file)
//
// A data key file (privacy/key_file.h) holds one dataset key: it decrypts and authenticates that
// dataset and nothing else, and cannot compute pseudonyms. Datasets of format <= 1.3 have no
// dataset_salt: their manifest and shard keys come from the root data key directly, so only the
// controller key opens them.
#pragma once

#include <optional>
#include <string>

#include "privacy/crypto.h"
#include "privacy/key_file.h"

namespace galien {

// The dataset a manifest describes, as far as keys are concerned.
struct DatasetIdentity {
  std::string id;    // 16 hex digits (manifest.json "dataset_id"); "" before format 1.4
  Bytes salt;        // 32 random bytes (manifest.json "dataset_salt"); empty before format 1.4
};

// A new random identity for a dataset `galien shard` is about to write.
DatasetIdentity new_dataset_identity();
// The id of a salt: first 16 hex digits of SHA-256("galien dataset id v1" || salt).
std::string dataset_id_of(const Bytes& salt);

// The keys a reader (or writer) holds: from the controller key (every dataset) or from a data
// key file (one dataset).
class DataKeys {
 public:
  explicit DataKeys(const SecretKey& controller_key);
  explicit DataKeys(const DataKeyFile& data_key);

  KeyKind kind() const { return kind_; }
  // Key id of the controller key (manifest.json's key_id), whichever kind was given.
  const std::string& key_id() const { return key_id_; }
  // Key id of the key file itself: the controller's, or the data key's own.
  const std::string& file_key_id() const { return file_key_id_; }
  // Data key: the dataset it opens. Controller key: "".
  const std::string& dataset_id() const { return dataset_id_; }
  // Whether these keys open `dataset` (a controller key opens all; a data key its own only).
  bool opens(const DatasetIdentity& dataset) const;

  // Keys of one dataset; a data key given another dataset throws UserError.
  Key256 manifest_key(const DatasetIdentity& dataset) const;
  // `encryption_salt`: manifest.json's encryption.salt; `file`: the shard's file name.
  Key256 shard_key(const DatasetIdentity& dataset, const Bytes& encryption_salt,
                   const std::string& file) const;
  // The dataset key of a 1.4 dataset, for `galien keygen --data-key`: controller keys only.
  Key256 dataset_key(const DatasetIdentity& dataset) const;

 private:
  Key256 dataset_or_root_key(const DatasetIdentity& dataset) const;

  KeyKind kind_;
  std::string key_id_;
  std::string file_key_id_;
  std::string dataset_id_;
  Key256 key_;  // controller: the root data key; data key: the dataset key
};

// What to say wherever data written under one controller key is opened with another (the
// manifest's HMAC, an encrypted shard): what happened and the two ways out, by key id only
// (never a key). `data_key_id`: the key id the shards were written with; `given_key_id`: the
// key id of the key file the reader was given.
std::string wrong_key_advice(const std::string& data_key_id, const std::string& given_key_id);

// What to say when a data key meets a dataset it does not open (`where`: the shard directory).
std::string other_dataset_advice(const DataKeys& keys, const DatasetIdentity& dataset,
                                 const std::string& where);

// "controller" | "data", for audit entries and messages.
const char* key_kind_name(KeyKind kind);

// Said once (rank 0) by a compute command given the controller key: it works, but the key that
// can recompute every pseudonym should not be where data is analysed.
std::string controller_key_at_compute_warning(const std::string& key_file, const DataKeys& keys,
                                              const std::string& shard_dir);

// The keys of privacy.key_file for a reader: none when `key_file` is empty (then only SHA-256
// checks are possible, and encrypted shards are refused); otherwise the file must load
// (load_any_key_file's checks); either kind is accepted.
std::optional<DataKeys> load_data_keys(const std::string& key_file);

}  // namespace galien
