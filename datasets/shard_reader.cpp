#include "datasets/shard_reader.h"

#include <hdf5_hl.h>

#include "core/error.h"
#include "datasets/imaging/float16.h"
#include "datasets/shard_images.h"

namespace galien {

ShardReader::ShardReader(const std::string& path) : path_(path), data_(read_shard(path)) {
  file_ = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_.valid()) GALIEN_USER_ERROR("shard " << path << " cannot be opened again for reading");
  open_datasets();
}

ShardReader::ShardReader(std::vector<std::uint8_t> file_image, const std::string& path)
    : path_(path), file_image_(std::move(file_image)) {
  data_ = read_shard_image(file_image_.data(), file_image_.size(), path);
  // Read in place: HDF5 neither copies nor frees the buffer this reader owns.
  const unsigned flags = H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE;
  file_ = H5Handle(H5LTopen_file_image(file_image_.data(), file_image_.size(), flags), H5Fclose);
  if (!file_.valid()) GALIEN_USER_ERROR("shard " << path << " cannot be opened again for reading");
  open_datasets();
}

void ShardReader::open_datasets() {
  if (has_image()) image_ = H5Handle(H5Dopen2(file_.get(), "/image", H5P_DEFAULT), H5Dclose);
  if (has_mask()) mask_ = H5Handle(H5Dopen2(file_.get(), "/mask", H5P_DEFAULT), H5Dclose);
  half_type_ = float16_type();
}

void ShardReader::read_sample(hid_t dataset, hid_t mem_type, std::int64_t i, void* out,
                              const char* name) const {
  if (dataset < 0) GALIEN_USER_ERROR("shard " << path_ << " has no dataset " << name);
  GALIEN_CHECK(i >= 0 && i < num_samples(), "sample " << i << " of " << num_samples());
  H5Handle space(H5Dget_space(dataset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> start(static_cast<std::size_t>(rank), 0), count(start.size());
  H5Sget_simple_extent_dims(space.get(), count.data(), nullptr);
  start[0] = static_cast<hsize_t>(i);
  count[0] = 1;
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  H5Handle memory(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
  if (H5Dread(dataset, mem_type, memory.get(), space.get(), H5P_DEFAULT, out) < 0) {
    GALIEN_USER_ERROR("shard " << path_ << ": sample " << i << " of " << name
                               << " is unreadable: the file is damaged; copy it again or "
                               << "re-run `galien shard`");
  }
}

void ShardReader::read_image_raw(std::int64_t i, void* out) const {
  bool half = data_.images.dtype == PixelType::kFloat16;
  read_sample(image_.get(), half ? half_type_.get() : H5T_NATIVE_UINT8, i, out, "/image");
}

void ShardReader::read_image(std::int64_t i, float* out) const {
  std::size_t n = static_cast<std::size_t>(data_.images.sample_pixels());
  if (data_.images.dtype == PixelType::kFloat16) {
    std::vector<std::uint16_t> bits(n);
    read_image_raw(i, bits.data());
    for (std::size_t k = 0; k < n; ++k) out[k] = half_to_float(bits[k]);
  } else {
    std::vector<std::uint8_t> bytes(n);
    read_image_raw(i, bytes.data());
    for (std::size_t k = 0; k < n; ++k) out[k] = bytes[k];
  }
}

std::array<std::int64_t, 3> ShardReader::extent(std::int64_t i) const {
  GALIEN_CHECK(has_image(), "shard " << path_ << " has no /image, hence no extent");
  GALIEN_CHECK(i >= 0 && i < num_samples(), "sample " << i << " of " << num_samples());
  return data_.images.extent(i);
}

void ShardReader::read_mask(std::int64_t i, std::uint8_t* out) const {
  read_sample(mask_.get(), H5T_NATIVE_UINT8, i, out, "/mask");
}

}  // namespace galien
