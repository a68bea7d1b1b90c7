// The samples of one split that this rank owns (whole shards, or a contiguous range when the
// split has fewer shards than ranks: datasets/sample_ownership.h), verified against the manifest. Tables are held
// in memory (they are small). Image datasets (manifest.json has "images") keep one ShardReader
// per owned shard over the verified (for an encrypted shard: decrypted) file image in memory,
// and read pixels one sample at a time when a batch asks for them.
//
// Pixels are read through each shard's chunk index (format 1.4: decoded straight from the file
// image, no HDF5 call per sample) or by one H5Dread per sample (older shards, or
// trainer.shard_reader: hdf5); datasets/shard_reader.h.
//
// Threads: every method is const and may be called from any thread, e.g. the trainer's
// background loader (one at a time per RankShards is the intended use). HDF5 is not reentrant
// unless built thread-safe, so all RankShards of a process take one mutex around every HDF5
// call they make (opening image shards, per-sample H5Dread); chunk-index reads and the other
// gathers read immutable memory only and take no lock. Code outside RankShards must not call
// HDF5 while a loader thread gathers images from shards without a chunk index.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/epoch_plan.h"
#include "datasets/manifest.h"
#include "datasets/shard.h"
#include "datasets/shard_reader.h"

namespace galien {

class DataKeys;

class RankShards {
 public:
  // Without a key: plain shards only, each verified by SHA-256 against the (unauthenticated)
  // manifest, then the owned ones loaded.
  RankShards(const std::string& shard_dir, const Manifest& manifest, const std::string& split,
             int world_size, int rank);
  // With the data controller's keys: `manifest` must come from load_manifest(dir, keys) (HMAC
  // checked). Owned shards are authenticated (SHA-256 against the authenticated manifest, or
  // the AES-256-GCM tag for encrypted shards) and decrypted in memory; the others are checked
  // by SHA-256. Any failure is a UserError naming the shard, before training starts.
  // `read_path` (trainer.shard_reader) chooses how image pixels are read; kChunkIndex makes a
  // shard without a chunk index a UserError naming it.
  RankShards(const std::string& shard_dir, const Manifest& manifest, const std::string& split,
             int world_size, int rank, const DataKeys* keys,
             ShardReadPath read_path = ShardReadPath::kAuto);

  const std::vector<std::int64_t>& shard_sizes() const { return shard_sizes_; }  // every shard
  const std::vector<int>& owned() const { return owned_; }
  // The owned shards' file names (manifest.json), e.g. for the audit log's "shards_read".
  const std::vector<std::string>& owned_files() const { return owned_files_; }
  std::int64_t num_features() const { return num_features_; }
  std::int64_t num_owned_samples() const;

  // Copies the samples' features (row-major, num_features() per sample; none for image-only
  // data) and labels (class index) into the given buffers.
  void gather(const std::vector<SampleRef>& samples, float* features, std::int64_t* labels) const;
  // Every owned sample in a fixed order (evaluation).
  std::vector<SampleRef> all_owned_samples() const;

  // Survival (data.task: survival): /time and /event, the event as 0.f (censored) or 1.f.
  // UserError naming the shard when it has no /time (not a survival dataset).
  void gather_survival(const std::vector<SampleRef>& samples, float* time, float* event) const;
  // Regression (data.task: regression): the raw /target values (not standardised; the manifest
  // has the train split's target_mean and target_std). UserError naming the shard without one.
  void gather_targets(const std::vector<SampleRef>& samples, float* target) const;
  // The samples' pseudonyms (64 hex digits), e.g. for a predictions file the data controller
  // can re-link.
  std::vector<std::string> pseudonyms(const std::vector<SampleRef>& samples) const;

  // The sample's /image_meta entry (JSON of allow-listed image attributes, docs/FORMAT.md;
  // datasets/imaging/volume.h parse_image_attributes reads it); "" when its shard has none.
  std::string image_meta(const SampleRef& sample) const;

  // One sample's image shape, [C, H, W] or [C, D, H, W]; empty when the shards hold no /image.
  std::vector<std::int64_t> image_shape() const { return image_shape_; }
  // product(image_shape()) floats per sample, row-major: uint8 pixels scaled to [0, 1] (v / 255),
  // float16 pixels as stored. Reads each sample's chunk from the in-memory shard.
  void gather_images(const std::vector<SampleRef>& samples, float* out) const;
  // Whether the shards hold /mask (segmentation labels, the image's shape without C).
  bool has_mask() const { return has_mask_; }
  // product(image_shape()) / C label values per sample.
  void gather_masks(const std::vector<SampleRef>& samples, std::int64_t* out) const;
  // One sample's mask as stored (uint8 labels, product(image_shape()) / C of them).
  void read_mask(const SampleRef& sample, std::uint8_t* out) const;
  // The case's real size (D, H, W) on the stored grid; the whole stored size for shards whose
  // cases all have it.
  std::array<std::int64_t, 3> extent(const SampleRef& sample) const;
  // Whether every owned image shard is read through its chunk index (false for tables).
  bool uses_chunk_index() const;

 private:
  const ShardData& data_of(const SampleRef& sample) const;  // checks ownership and range
  const ShardReader& reader_of(const SampleRef& sample, const char* what) const;
  const ShardReader& mask_reader_of(const SampleRef& sample) const;  // UserError without /mask
  std::string shard_name(int shard) const;  // for messages: "train-00000.h5 in DIR"

  std::string shard_dir_;
  std::vector<std::string> files_;               // manifest order
  std::vector<std::int64_t> shard_sizes_;
  std::vector<int> owned_;                 // shards this rank reads (datasets/sample_ownership.h)
  std::vector<SampleRef> owned_samples_;   // the samples it owns in them
  std::vector<std::string> owned_files_;
  std::vector<ShardData> loaded_;                // tables: indexed like shard_sizes_
  std::vector<std::unique_ptr<ShardReader>> readers_;  // images: indexed like shard_sizes_
  std::int64_t num_features_ = 0;
  std::vector<std::int64_t> image_shape_;
  bool has_mask_ = false;
};

}  // namespace galien
