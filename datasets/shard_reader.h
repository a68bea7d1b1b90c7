// Per-sample access to a shard's images: opens the shard once, reads its small datasets
// (pseudonyms, features, labels, ...) and then one sample's image or mask at a time, reading
// only that sample's chunk. What image trainers use; tabular trainers keep read_shard.
//
// Two read paths (trainer.shard_reader, docs/training.md):
//  - chunk index (format 1.4, datasets/chunk_index.h): a shard held in memory whose chunk index
//    exists is decoded straight from the file image at each sample's recorded offset (in place,
//    or inflated for gzip chunks): no HDF5 call per sample, and the file image and index
//    are immutable after construction, so these reads may run on any number of threads;
//  - HDF5: one H5Dread per sample, the only path for a shard read from disk (ShardReader(path))
//    or without an index (written before 1.4). Not thread-safe (serial HDF5): callers
//    serialise these reads (RankShards takes one process-wide lock when calls_hdf5()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datasets/chunk_index.h"
#include "datasets/encrypted_shard.h"
#include "datasets/h5_handle.h"
#include "datasets/shard.h"

namespace galien {

// trainer.shard_reader: how pixels of a shard held in memory are found.
enum class ShardReadPath {
  kAuto,        // the chunk index when the shard has one, else one H5Dread per sample
  kChunkIndex,  // the chunk index, required: a shard without one is a UserError
  kHdf5,        // one H5Dread per sample, as before format 1.4 (the index is not even read)
};
// "auto" | "chunk_index" | "hdf5" (the config schema checks the value); UserError otherwise.
ShardReadPath shard_read_path(const std::string& name);

class ShardReader {
 public:
  // From disk, HDF5 path. Throws UserError naming `path` as read_shard does.
  explicit ShardReader(const std::string& path);
  // A shard held in memory (e.g. verified, or decrypted): `file_image` is kept for the reader's
  // lifetime. `read_path` chooses how pixels are read (above); its checks of the index, and a
  // kChunkIndex reader given a shard without one, are UserErrors naming `path`.
  ShardReader(std::vector<std::uint8_t> file_image, const std::string& path,
              ShardReadPath read_path = ShardReadPath::kAuto);
  // The same without a copy: the buffer a verified shard was read (and decrypted) into
  // (datasets/shard_store.h load_verified_shard), what RankShards uses.
  ShardReader(ShardImageBytes file_image, const std::string& path,
              ShardReadPath read_path = ShardReadPath::kAuto);

  // Everything but pixels; data().images.shape is empty when the shard has no /image.
  const ShardData& data() const { return data_; }
  std::int64_t num_samples() const { return data_.num_samples(); }
  bool has_image() const { return !data_.images.shape.empty(); }
  bool has_mask() const { return data_.images.has_mask; }
  // Sample i's real size [D, H, W] (D = 1 for 2D) at the start of the stored shape: its /extent
  // row (format 1.3, segmentation cases of different sizes, padded), else the full stored size.
  std::array<std::int64_t, 3> extent(std::int64_t i) const;
  // Whether pixels are read through the chunk index (no HDF5 call per sample).
  bool uses_chunk_index() const { return image_index_.has_value(); }
  // Whether image_bytes/mask_bytes (and the read_* below) call HDF5: the caller must then
  // serialise them with every other HDF5 call of the process.
  bool calls_hdf5() const { return !uses_chunk_index(); }

  // Sample i's image as float (uint8 0-255 or float16 values), product(shape) values.
  void read_image(std::int64_t i, float* out) const;
  // Sample i's stored bytes: product(shape) uint8, or IEEE half bits as uint16.
  void read_image_raw(std::int64_t i, void* out) const;
  // Sample i's mask, product(shape) / C values.
  void read_mask(std::int64_t i, std::uint8_t* out) const;
  // Sample i's stored bytes (product(shape) uint8, or half floats as little-endian byte
  // pairs; masks: uint8) without a copy where possible: a pointer into the file image for an
  // unfiltered indexed chunk, else decoded into `scratch` (resized). Valid until the next call
  // with the same `scratch`, and while the reader lives.
  const std::uint8_t* image_bytes(std::int64_t i, std::vector<std::uint8_t>& scratch) const;
  const std::uint8_t* mask_bytes(std::int64_t i, std::vector<std::uint8_t>& scratch) const;
  // Starts loading sample i's image (mask) bytes into cache (chunk index only; else nothing).
  void prefetch_image(std::int64_t i) const {
    if (image_index_) image_index_->prefetch(i);
  }
  void prefetch_mask(std::int64_t i) const {
    if (mask_index_) mask_index_->prefetch(i);
  }

 private:
  void open_datasets();
  void open_chunk_index(ShardReadPath read_path);
  void check_pixel_storage(std::uint64_t file_bytes) const;
  void read_sample(hid_t dataset, hid_t mem_type, std::int64_t i, void* out,
                   const char* name) const;

  std::string path_;
  ShardImageBytes memory_;  // the file image (in memory); empty for a reader from disk
  ShardData data_;
  H5Handle file_, image_, mask_, half_type_;
  std::optional<ChunkIndex> image_index_, mask_index_;  // both or neither (with a mask)
};

}  // namespace galien
