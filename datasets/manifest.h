// manifest.json of a shard directory: what the shards are, how they were made, and their
// SHA-256, so every reader can verify them before training (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace galien {

struct FeatureInfo {
  std::string name;        // "mean_radius" or "size=20-50" for a one-hot column
  std::string kind;        // "numeric" | "onehot"
  std::string source;      // source column
  double mean = 0.0;       // train-only statistics applied to numeric columns (0/1 for one-hot)
  double std = 1.0;
  std::string transform;   // 1.4: data.transforms applied before standardisation ("log", "clip:0:100"); "" = none
};

struct ShardEntry {
  std::string file;        // relative to the shard directory
  std::int64_t num_samples = 0;
  std::string sha256;
};

struct SplitInfo {
  std::int64_t num_samples = 0;
  std::int64_t num_patients = 0;
  // Samples per class index; segmentation: cases in which the class is present (>= 1 voxel of
  // the stored mask), so a class absent from a split shows as 0.
  std::vector<std::int64_t> class_counts;
  std::vector<ShardEntry> shards;
};

// Present when the shards are AES-256-GCM containers (privacy.encrypt; docs/FORMAT.md).
struct EncryptionInfo {
  std::string algorithm = "AES-256-GCM";
  std::string kdf = "HKDF-SHA256";
  std::string salt;        // 64 hex digits, random per dataset: input of every shard key
};

// Cross-validation settings of this shard directory (cv.*): one fold of one repeat.
struct CvInfo {
  int folds = 0;
  int repeats = 1;
  int fold = 0;
  int repeat = 0;
};

// The external test table (data.test_csv): all its rows are the test split.
struct TestTableInfo {
  std::string file;                                   // file name only
  std::string sha256;
  std::int64_t rows = 0;                              // data rows in the file
  std::map<std::string, std::int64_t> rejected_rows;  // reason -> count
  std::string patients = "shared";                    // data.test_patients: shared | separate
};

struct Manifest {
  std::string format = "galien-shards";
  int format_version_major = 1;
  int format_version_minor = 4;             // 1.1: encryption, .hmac; 1.2: images; 1.3: task, cv, test_table; 1.4: dataset identity
  std::string created_utc;
  std::string galien_version;
  std::string key_id;                       // never the key
  // 1.4: the dataset's identity, input of its dataset key (docs/FORMAT.md, "Keys"); both "" in
  // older manifests. A data key opens the dataset whose dataset_id it names, and no other.
  std::string dataset_id;                   // 16 hex digits, dataset_id_of(dataset_salt)
  std::string dataset_salt;                 // 64 hex digits, random per `galien shard` run
  std::string config_sha256;
  std::string source_file;                  // file name only
  std::string source_sha256;
  std::int64_t source_rows = 0;
  std::map<std::string, std::int64_t> rejected_rows;  // reason -> count (e.g. "missing value")
  std::string label_column;                 // classification: labels; regression: the target
  // Class index -> raw label value; segmentation: data.classes (mask value i is classes[i]).
  std::vector<std::string> classes;
  // 1.3 (absent in older manifests = classification):
  std::string task = "classification";      // classification | survival | regression | segmentation
  std::string time_column, event_column;    // survival: the source columns of /time and /event
  double target_mean = 0.0;                 // regression: train-split mean of /target
  double target_std = 1.0;                  // regression: train-split population std (constant: 1)
  std::optional<CvInfo> cv;                 // absent: no cross-validation
  std::optional<TestTableInfo> test_table;  // absent: the test split (if any) is from source_file
  std::vector<FeatureInfo> features;
  std::map<std::string, SplitInfo> splits;  // "train", "val", "test"
  std::optional<EncryptionInfo> encryption; // absent: plain HDF5 shards
  std::string images;                       // 1.2: "images" object as JSON text (docs/imaging.md); "" = none

  // Not stored: true when load_manifest checked the HMAC with the data controller's key.
  bool authenticated = false;

  std::int64_t num_features() const { return static_cast<std::int64_t>(features.size()); }
};

class DataKeys;
struct DatasetIdentity;

// The identity of the dataset `manifest` describes (empty before format 1.4).
DatasetIdentity dataset_identity(const Manifest& manifest);
// Gives a manifest about to be written a new random dataset identity.
void assign_new_dataset_identity(Manifest& manifest);

void save_manifest(const std::string& shard_dir, const Manifest& manifest);
// Also writes manifest.json.hmac (HMAC-SHA256 of manifest.json's bytes under the manifest key),
// before manifest.json, which stays the last file written.
void save_manifest(const std::string& shard_dir, const Manifest& manifest, const DataKeys& keys);
// Throws UserError naming the file on a missing/invalid manifest or a newer major version.
// Does not authenticate: use the overload below wherever the key is available.
Manifest load_manifest(const std::string& shard_dir);
// With `keys`: reads manifest.json once; a data key of another dataset is refused naming both
// dataset ids; then checks manifest.json.hmac over those bytes ("authentication failed" naming
// the file and both key ids on a mismatch), parses them and sets `authenticated`. With null `keys`: the same as load_manifest(shard_dir).
Manifest load_manifest(const std::string& shard_dir, const DataKeys* keys);
std::string manifest_hmac_path(const std::string& shard_dir);
// Whether the manifest has split `split` with at least one shard (val/test may be absent).
bool has_split(const Manifest& manifest, const std::string& split);
// SHA-256 of manifest.json's bytes: the data identity a run records.
std::string manifest_sha256(const std::string& shard_dir);
// UserError naming `path` when `actual` is not the SHA-256 the manifest lists for `entry`
// ("authentication failed" when the manifest was authenticated).
void check_shard_sha256(const std::string& path, const std::string& actual,
                        const ShardEntry& entry, const Manifest& manifest);
// Recomputes each shard's SHA-256 for `split` and throws UserError naming the first shard that
// is missing or differs. Returns the absolute shard paths in manifest order.
std::vector<std::string> verify_split(const std::string& shard_dir, const Manifest& manifest,
                                      const std::string& split);

}  // namespace galien
