#include "privacy/data_keys.h"

#include "core/error.h"
#include "core/hash.h"

namespace galien {
namespace {

// Part of the format (docs/FORMAT.md): changing one changes every key derived from it.
constexpr const char* kDataKeyInfo = "galien data key v1";
constexpr const char* kDatasetKeyInfo = "galien dataset key v1";
constexpr const char* kManifestKeyInfo = "galien manifest v1";
constexpr const char* kShardKeyInfoPrefix = "galien shard v1:";
constexpr const char* kDatasetIdPrefix = "galien dataset id v1";

}  // namespace

DatasetIdentity new_dataset_identity() {
  DatasetIdentity dataset;
  dataset.salt = random_bytes(32);
  dataset.id = dataset_id_of(dataset.salt);
  return dataset;
}

std::string dataset_id_of(const Bytes& salt) {
  std::string message(kDatasetIdPrefix);
  message.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return sha256_hex(message).substr(0, 16);
}

DataKeys::DataKeys(const SecretKey& controller_key)
    : kind_(KeyKind::kController),
      key_id_(controller_key.key_id()),
      file_key_id_(key_id_),
      key_(hkdf_key(Key256(controller_key.bytes.data()), {}, kDataKeyInfo)) {}

DataKeys::DataKeys(const DataKeyFile& data_key)
    : kind_(KeyKind::kData),
      key_id_(data_key.controller_key_id),
      file_key_id_(data_key.key_id()),
      dataset_id_(data_key.dataset_id),
      key_(data_key.key) {}

bool DataKeys::opens(const DatasetIdentity& dataset) const {
  return kind_ == KeyKind::kController || (!dataset.id.empty() && dataset.id == dataset_id_);
}

Key256 DataKeys::dataset_or_root_key(const DatasetIdentity& dataset) const {
  if (!opens(dataset)) GALIEN_USER_ERROR(other_dataset_advice(*this, dataset, "this dataset"));
  if (kind_ == KeyKind::kData) return key_;
  if (dataset.salt.empty()) return key_;  // format <= 1.3: keys from the root data key
  return hkdf_key(key_, dataset.salt, kDatasetKeyInfo);
}

Key256 DataKeys::manifest_key(const DatasetIdentity& dataset) const {
  return hkdf_key(dataset_or_root_key(dataset), {}, kManifestKeyInfo);
}

Key256 DataKeys::shard_key(const DatasetIdentity& dataset, const Bytes& encryption_salt,
                           const std::string& file) const {
  return hkdf_key(dataset_or_root_key(dataset), encryption_salt, kShardKeyInfoPrefix + file);
}

Key256 DataKeys::dataset_key(const DatasetIdentity& dataset) const {
  GALIEN_CHECK(kind_ == KeyKind::kController && !dataset.salt.empty(),
               "dataset keys are derived from the controller key of a format 1.4 dataset");
  return hkdf_key(key_, dataset.salt, kDatasetKeyInfo);
}

std::string wrong_key_advice(const std::string& data_key_id, const std::string& given_key_id) {
  return "these shards were written with key id " + data_key_id +
         ", but the key file given (privacy.key_file, or --key of galien verify) has key id " +
         given_key_id + ". Either it is the wrong key file: use the data controller's key whose "
         "key id is " + data_key_id + " (or a data key derived from it for this dataset); or the "
         "shards were written with another key than intended: re-run `galien shard` with this key";
}

std::string other_dataset_advice(const DataKeys& keys, const DatasetIdentity& dataset,
                                 const std::string& where) {
  if (dataset.id.empty()) {
    return where + " was written by an older galien (shard format <= 1.3) and has no dataset "
           "identity, so no data key opens it (one would open every such dataset of its "
           "controller key): open it with the data controller's key, or re-run `galien shard` "
           "and derive a data key for the new directory";
  }
  return "the key file given is the data key of dataset " + keys.dataset_id() + ", but " + where +
         " is dataset " + dataset.id + ": a data key opens only the dataset it was derived for. "
         "The data controller derives this dataset's key with `galien keygen --data-key --from "
         "CONTROLLER_KEY --dataset SHARD_DIR OUT`";
}

const char* key_kind_name(KeyKind kind) {
  return kind == KeyKind::kController ? "controller" : "data";
}

std::string controller_key_at_compute_warning(const std::string& key_file, const DataKeys& keys,
                                              const std::string& shard_dir) {
  return "privacy.key_file " + key_file + " is the data controller's key (key id " +
         keys.key_id() + "), which can recompute every pseudonym. That is fine on the "
         "controller's own machine; a compute site should get only this dataset's data key: `galien "
         "keygen --data-key --from " + key_file + " --dataset " + shard_dir + " DATA_KEY` "
         "(docs/PRIVACY.md, \"Who holds which key\")";
}

std::optional<DataKeys> load_data_keys(const std::string& key_file) {
  if (key_file.empty()) return std::nullopt;
  AnyKeyFile key = load_any_key_file(key_file);
  if (key.kind == KeyKind::kData) return DataKeys(key.data);
  DataKeys keys(key.controller);
  wipe(key.controller.bytes.data(), key.controller.bytes.size());
  return keys;
}

}  // namespace galien
