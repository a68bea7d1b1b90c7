#include "datasets/shard_reader.h"

#include <hdf5_hl.h>

#include <cstring>

#include "core/error.h"
#include "datasets/imaging/float16.h"
#include "datasets/h5_storage_check.h"
#include "datasets/pixel_convert.h"
#include "datasets/shard_images.h"

namespace galien {

ShardReadPath shard_read_path(const std::string& name) {
  if (name == "auto") return ShardReadPath::kAuto;
  if (name == "chunk_index") return ShardReadPath::kChunkIndex;
  if (name == "hdf5") return ShardReadPath::kHdf5;
  GALIEN_USER_ERROR("trainer.shard_reader is '" << name << "': use auto, chunk_index or hdf5");
}

ShardReader::ShardReader(const std::string& path) : path_(path), data_(read_shard(path)) {
  file_ = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_.valid()) GALIEN_USER_ERROR("shard " << path << " cannot be opened again for reading");
  open_datasets();
  check_pixel_storage(hdf5_file_bytes(file_.get()));  // read_shard checked the file's size
}

namespace {

ShardImageBytes copied(const std::vector<std::uint8_t>& bytes) {
  ShardImageBytes image;
  image.bytes.size = bytes.size();
  image.bytes.data.reset(new std::uint8_t[bytes.empty() ? 1 : bytes.size()]);
  if (!bytes.empty()) std::memcpy(image.bytes.data.get(), bytes.data(), bytes.size());
  image.data = image.bytes.data.get();
  image.size = bytes.size();
  return image;
}

}  // namespace

ShardReader::ShardReader(std::vector<std::uint8_t> file_image, const std::string& path,
                         ShardReadPath read_path)
    : ShardReader(copied(file_image), path, read_path) {}

ShardReader::ShardReader(ShardImageBytes file_image, const std::string& path,
                         ShardReadPath read_path)
    : path_(path), memory_(std::move(file_image)) {
  data_ = read_shard_image(memory_.data, memory_.size, path);
  // Read in place: HDF5 neither copies nor frees the buffer this reader owns.
  const unsigned flags = H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE;
  file_ = H5Handle(H5LTopen_file_image(memory_.data, memory_.size, flags), H5Fclose);
  if (!file_.valid()) GALIEN_USER_ERROR("shard " << path << " cannot be opened again for reading");
  open_datasets();
  if (has_image() && read_path != ShardReadPath::kHdf5) open_chunk_index(read_path);
  check_pixel_storage(memory_.size);
}

// Pixels read by H5Dread (no chunk index): every chunk of /image and /mask checked once, here,
// as read_shard checks the datasets it reads (datasets/h5_storage_check.h). The chunk index
// path needs no such check: ChunkIndex::read checked each chunk's size and place itself.
void ShardReader::check_pixel_storage(std::uint64_t file_bytes) const {
  if (!calls_hdf5()) return;
  if (image_.valid()) check_dataset_storage(image_.get(), "/image", file_bytes, path_);
  if (mask_.valid()) check_dataset_storage(mask_.get(), "/mask", file_bytes, path_);
}

void ShardReader::open_datasets() {
  if (has_image()) image_ = H5Handle(H5Dopen2(file_.get(), "/image", H5P_DEFAULT), H5Dclose);
  if (has_mask()) mask_ = H5Handle(H5Dopen2(file_.get(), "/mask", H5P_DEFAULT), H5Dclose);
  half_type_ = float16_type();
}

// Format 1.4's /image_chunks and /mask_chunks, validated (datasets/chunk_index.h); without
// them (older shards) this reader stays on the HDF5 path unless the index is required.
void ShardReader::open_chunk_index(ShardReadPath read_path) {
  const auto n = num_samples();
  ChunkIndexLookup image = ChunkIndex::read(file_.get(), image_.get(), "/image", "/image_chunks",
                                             n, data_.images.pixel_bytes(), memory_.data,
                                             memory_.size, path_);
  ChunkIndexLookup mask;
  if (has_mask()) {
    mask = ChunkIndex::read(file_.get(), mask_.get(), "/mask", "/mask_chunks", n, 1,
                            memory_.data, memory_.size, path_);
    const bool image_found = image.index || !image.unusable.empty();
    const bool mask_found = mask.index || !mask.unusable.empty();
    if (image_found != mask_found)
      GALIEN_USER_ERROR("shard " << path_ << " has a damaged chunk index ("
                        << (image_found ? "/image_chunks without /mask_chunks"
                                        : "/mask_chunks without /image_chunks")
                        << "): the file is damaged or was not written by galien; copy it again "
                        << "or re-run `galien shard`");
  }
  const std::string unusable = !image.unusable.empty() ? image.unusable : mask.unusable;
  if (image.index && (!has_mask() || mask.index)) {
    image_index_ = std::move(image.index);
    if (has_mask()) mask_index_ = std::move(mask.index);
  } else if (read_path == ShardReadPath::kChunkIndex) {
    if (unusable.empty())
      GALIEN_USER_ERROR("shard " << path_ << " has no chunk index (/image_chunks, shard format "
                        << "1.4) and trainer.shard_reader is chunk_index: re-run `galien shard` "
                        << "to add a chunk index, or set trainer.shard_reader: auto");
    GALIEN_USER_ERROR("shard " << path_ << " cannot be read through its chunk index (" << unusable
                      << ") and trainer.shard_reader is chunk_index: set trainer.shard_reader: "
                      << "auto or hdf5, or re-run `galien shard`");
  }
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

const std::uint8_t* ShardReader::image_bytes(std::int64_t i,
                                             std::vector<std::uint8_t>& scratch) const {
  if (image_index_) {
    GALIEN_CHECK(i >= 0 && i < num_samples(), "sample " << i << " of " << num_samples());
    return image_index_->bytes(i, scratch);
  }
  if (!has_image()) GALIEN_USER_ERROR("shard " << path_ << " has no dataset /image");
  scratch.resize(static_cast<std::size_t>(data_.images.sample_pixels()) *
                 data_.images.pixel_bytes());
  const bool half = data_.images.dtype == PixelType::kFloat16;
  read_sample(image_.get(), half ? half_type_.get() : H5T_NATIVE_UINT8, i, scratch.data(),
              "/image");
  return scratch.data();
}

const std::uint8_t* ShardReader::mask_bytes(std::int64_t i,
                                            std::vector<std::uint8_t>& scratch) const {
  if (mask_index_) {
    GALIEN_CHECK(i >= 0 && i < num_samples(), "sample " << i << " of " << num_samples());
    return mask_index_->bytes(i, scratch);
  }
  if (!has_mask()) GALIEN_USER_ERROR("shard " << path_ << " has no dataset /mask");
  scratch.resize(static_cast<std::size_t>(data_.images.mask_pixels()));
  read_sample(mask_.get(), H5T_NATIVE_UINT8, i, scratch.data(), "/mask");
  return scratch.data();
}

void ShardReader::read_image_raw(std::int64_t i, void* out) const {
  if (image_index_) {
    std::vector<std::uint8_t> scratch;
    std::memcpy(out, image_bytes(i, scratch), image_index_->chunk_bytes());
    return;
  }
  bool half = data_.images.dtype == PixelType::kFloat16;
  read_sample(image_.get(), half ? half_type_.get() : H5T_NATIVE_UINT8, i, out, "/image");
}

void ShardReader::read_image(std::int64_t i, float* out) const {
  const auto n = static_cast<std::size_t>(data_.images.sample_pixels());
  std::vector<std::uint8_t> scratch;
  const std::uint8_t* stored = image_bytes(i, scratch);
  if (data_.images.dtype == PixelType::kFloat16) half_bytes_to_float(stored, n, out);
  else u8_to_float(stored, n, out);
}

std::array<std::int64_t, 3> ShardReader::extent(std::int64_t i) const {
  GALIEN_CHECK(has_image(), "shard " << path_ << " has no /image, hence no extent");
  GALIEN_CHECK(i >= 0 && i < num_samples(), "sample " << i << " of " << num_samples());
  return data_.images.extent(i);
}

void ShardReader::read_mask(std::int64_t i, std::uint8_t* out) const {
  if (mask_index_) {
    std::vector<std::uint8_t> scratch;
    std::memcpy(out, mask_bytes(i, scratch), mask_index_->chunk_bytes());
    return;
  }
  read_sample(mask_.get(), H5T_NATIVE_UINT8, i, out, "/mask");
}

}  // namespace galien
