// Per-sample access to a shard's images: opens the shard once, reads its small datasets
// (pseudonyms, features, labels, ...) and then one sample's image or mask at a time, reading
// only that sample's chunk. What image trainers use; tabular trainers keep read_shard.
// Not thread-safe (serial HDF5): one reader per thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/h5_handle.h"
#include "datasets/shard.h"

namespace galien {

class ShardReader {
 public:
  // Throws UserError naming `path` as read_shard does.
  explicit ShardReader(const std::string& path);
  // A shard held in memory (e.g. decrypted): `file_image` is kept for the reader's lifetime.
  ShardReader(std::vector<std::uint8_t> file_image, const std::string& path);

  // Everything but pixels; data().images.shape is empty when the shard has no /image.
  const ShardData& data() const { return data_; }
  std::int64_t num_samples() const { return data_.num_samples(); }
  bool has_image() const { return !data_.images.shape.empty(); }
  bool has_mask() const { return data_.images.has_mask; }
  // Sample i's real size [D, H, W] (D = 1 for 2D) at the start of the stored shape: its /extent
  // row (format 1.3, segmentation cases of different sizes, padded), else the full stored size.
  std::array<std::int64_t, 3> extent(std::int64_t i) const;

  // Sample i's image as float (uint8 0-255 or float16 values), product(shape) values.
  void read_image(std::int64_t i, float* out) const;
  // Sample i's stored bytes: product(shape) uint8, or IEEE half bits as uint16.
  void read_image_raw(std::int64_t i, void* out) const;
  // Sample i's mask, product(shape) / C values.
  void read_mask(std::int64_t i, std::uint8_t* out) const;

 private:
  void open_datasets();
  void read_sample(hid_t dataset, hid_t mem_type, std::int64_t i, void* out,
                   const char* name) const;

  std::string path_;
  std::vector<std::uint8_t> file_image_;
  ShardData data_;
  H5Handle file_, image_, mask_, half_type_;
};

}  // namespace galien
