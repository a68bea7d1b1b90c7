#include "datasets/shard_images.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "datasets/chunk_index.h"
#include "datasets/h5_storage_check.h"

namespace galien {
namespace {

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from) {
  return std::accumulate(dims.begin() + static_cast<std::ptrdiff_t>(from), dims.end(),
                         std::int64_t{1}, std::multiplies<>());
}

// [D, H, W] of a sample shape [C, (D,) H, W]; zeros without images.
std::array<std::int64_t, 3> full_extent(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 4) return {shape[1], shape[2], shape[3]};
  if (shape.size() == 3) return {1, shape[1], shape[2]};
  return {0, 0, 0};
}

// ---- writing ----

void require(bool ok, const std::string& path, const char* what) {
  if (!ok) {
    GALIEN_USER_ERROR("cannot write " << what << " to shard " << path
                                      << ": check free space and permissions of its directory");
  }
}

// Object modification times off, as in shard.cpp: identical data gives identical bytes.
H5Handle untimed_dcpl() {
  H5Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  GALIEN_CHECK(plist.valid() && H5Pset_obj_track_times(plist.get(), false) >= 0, "HDF5 plist");
  return plist;
}

H5Handle create_dataset(hid_t file, const char* name, hid_t type, const std::vector<hsize_t>& dims,
                        hid_t dcpl, const std::string& path) {
  H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  H5Handle dataset(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl, H5P_DEFAULT),
                   H5Dclose);
  require(dataset.valid(), path, name);
  return dataset;
}

void write_whole(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                 const std::vector<hsize_t>& dims, const void* data, const std::string& path) {
  H5Handle dcpl = untimed_dcpl();
  H5Handle dataset = create_dataset(file, name, file_type, dims, dcpl.get(), path);
  require(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, path, name);
}

// One chunk per sample: [1, rest...]; gzip (with byte shuffle, which helps float16) if asked.
H5Handle per_sample_dcpl(const std::vector<hsize_t>& dims, int gzip_level) {
  H5Handle dcpl = untimed_dcpl();
  std::vector<hsize_t> chunk = dims;
  chunk[0] = 1;
  GALIEN_CHECK(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) >= 0,
               "H5Pset_chunk");
  if (gzip_level > 0) {
    GALIEN_CHECK(H5Pset_shuffle(dcpl.get()) >= 0 && H5Pset_deflate(dcpl.get(), gzip_level) >= 0,
                 "HDF5 gzip filter");
  }
  return dcpl;
}

// Writes sample `i` of a per-sample dataset from `data` (one sample's elements).
void write_sample(hid_t dataset, hid_t mem_type, const std::vector<hsize_t>& dims, hsize_t i,
                  const void* data, const std::string& path, const char* name) {
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = i;
  count[0] = 1;
  H5Handle file_space(H5Dget_space(dataset), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                      nullptr);
  H5Handle mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                     H5Sclose);
  require(H5Dwrite(dataset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) >= 0,
          path, name);
}

void write_meta(hid_t file, const std::vector<std::string>& meta, const std::string& path) {
  std::size_t width = 1;
  for (const std::string& m : meta) width = std::max(width, m.size());
  std::string packed(width * meta.size(), '\0');
  for (std::size_t i = 0; i < meta.size(); ++i) packed.replace(i * width, meta[i].size(), meta[i]);
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  write_whole(file, "/image_meta", type.get(), type.get(), {meta.size()}, packed.data(), path);
}

// 1.4: where each sample's chunk of `dataset` lies in the file (datasets/chunk_index.h), read
// back from HDF5 once every chunk is written: uint64 [N, 3], small and read whole.
void write_chunk_index(hid_t file, hid_t dataset, const char* name, std::int64_t samples,
                       const std::string& path) {
  const std::vector<std::uint64_t> rows = chunk_index_rows(locate_chunks(dataset, samples));
  write_whole(file, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, {static_cast<hsize_t>(samples), 3},
              rows.data(), path);
}

void write_images(hid_t file, const ShardData& shard, const std::string& path) {
  const ShardImages& images = shard.images;
  GALIEN_CHECK(images.shape.size() == 3 || images.shape.size() == 4, "image shape rank");
  GALIEN_CHECK(shard.num_samples() > 0 && images.fill, "images need samples and a fill function");
  std::vector<hsize_t> dims{static_cast<hsize_t>(shard.num_samples())};
  for (std::int64_t d : images.shape) dims.push_back(static_cast<hsize_t>(d));
  std::vector<hsize_t> mask_dims(dims);
  mask_dims.erase(mask_dims.begin() + 1);

  H5Handle half = float16_type();
  hid_t type = images.dtype == PixelType::kUint8 ? H5T_STD_U8LE : half.get();
  hid_t mem_type = images.dtype == PixelType::kUint8 ? H5T_NATIVE_UINT8 : half.get();
  H5Handle dcpl = per_sample_dcpl(dims, images.gzip_level);
  H5Handle image = create_dataset(file, "/image", type, dims, dcpl.get(), path);
  H5Handle mask;
  if (images.has_mask) {
    H5Handle mask_dcpl = per_sample_dcpl(mask_dims, images.gzip_level);
    mask = create_dataset(file, "/mask", H5T_STD_U8LE, mask_dims, mask_dcpl.get(), path);
  }
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(images.sample_pixels()) *
                                   images.pixel_bytes());
  std::vector<std::uint8_t> mask_pixels(
      images.has_mask ? static_cast<std::size_t>(images.mask_pixels()) : 0);
  std::vector<std::string> meta;
  for (std::int64_t i = 0; i < shard.num_samples(); ++i) {
    meta.push_back(images.fill(i, pixels.data(), images.has_mask ? mask_pixels.data() : nullptr));
    write_sample(image.get(), mem_type, dims, static_cast<hsize_t>(i), pixels.data(), path,
                 "/image");
    if (images.has_mask) {
      write_sample(mask.get(), H5T_NATIVE_UINT8, mask_dims, static_cast<hsize_t>(i),
                   mask_pixels.data(), path, "/mask");
    }
  }
  bool any_meta = std::any_of(meta.begin(), meta.end(), [](const auto& m) { return !m.empty(); });
  if (any_meta) write_meta(file, meta, path);
  if (images.chunk_index) {
    write_chunk_index(file, image.get(), "/image_chunks", shard.num_samples(), path);
    if (images.has_mask) write_chunk_index(file, mask.get(), "/mask_chunks", shard.num_samples(), path);
  }
}

// 1.3: int32 [N, 3], small and read whole: not chunked, never compressed.
void write_extents(hid_t file, const ShardData& shard, const std::string& path) {
  const ShardImages& images = shard.images;
  const auto n = static_cast<hsize_t>(shard.num_samples());
  GALIEN_CHECK(!images.shape.empty() && images.extents.size() == n * 3,
               "extents need images and one [D, H, W] per sample");
  for (std::int64_t i = 0; i < shard.num_samples(); ++i) {
    const auto full = full_extent(images.shape);
    for (std::size_t a = 0; a < 3; ++a) {
      const std::int32_t e = images.extents[static_cast<std::size_t>(i) * 3 + a];
      GALIEN_CHECK(e >= 1 && e <= full[a], "sample " << i << " has extent " << e
                                                     << " outside 1.." << full[a]);
    }
  }
  write_whole(file, "/extent", H5T_STD_I32LE, H5T_NATIVE_INT32, {n, 3}, images.extents.data(),
              path);
}

void write_labels_multi(hid_t file, const ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  hsize_t k = static_cast<hsize_t>(shard.num_labels_multi);
  GALIEN_CHECK(shard.labels_multi.size() == n * k, "labels_multi is not num_samples x K");
  write_whole(file, "/labels_multi", H5T_STD_U8LE, H5T_NATIVE_UINT8, {n, k},
              shard.labels_multi.data(), path);
}

void write_survival(hid_t file, const ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  GALIEN_CHECK(shard.time.size() == n && shard.event.size() == n, "time/event per sample");
  write_whole(file, "/time", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {n}, shard.time.data(), path);
  write_whole(file, "/event", H5T_STD_U8LE, H5T_NATIVE_UINT8, {n}, shard.event.data(), path);
}

void write_target(hid_t file, const ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  GALIEN_CHECK(shard.target.size() == n, "target per sample");
  write_whole(file, "/target", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {n}, shard.target.data(), path);
}

// ---- reading ----

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  GALIEN_USER_ERROR("shard " << path << " " << what
                             << ": the file is damaged or not a galien shard; copy it again or "
                             << "re-run `galien shard`");
}

bool exists(hid_t file, const char* name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

struct Opened {
  H5Handle dataset, type;
  std::vector<hsize_t> dims;
};

Opened open(hid_t file, const char* name, const std::string& path) {
  Opened o;
  o.dataset = H5Handle(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  if (!o.dataset.valid()) damaged(path, std::string("has an unreadable dataset ") + name);
  o.type = H5Handle(H5Dget_type(o.dataset.get()), H5Tclose);
  H5Handle space(H5Dget_space(o.dataset.get()), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  o.dims.resize(static_cast<std::size_t>(std::max(0, rank)));
  H5Sget_simple_extent_dims(space.get(), o.dims.data(), nullptr);
  return o;
}

bool is_uint8(hid_t type) {
  return H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 1 &&
         H5Tget_sign(type) == H5T_SGN_NONE;
}

void expect(bool ok, const std::string& path, const std::string& what) {
  if (!ok) damaged(path, what);
}

void read_all(const Opened& o, hid_t mem_type, void* out, const char* name,
              const std::string& path) {
  // HDF5 1.10 trusts the stored sizes it reads with (datasets/h5_storage_check.h).
  check_dataset_storage(o.dataset.get(), name, hdf5_file_bytes(o.dataset.get()), path);
  if (H5Dread(o.dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    damaged(path, std::string("has an unreadable dataset ") + name);
  }
}

void read_image_layout(hid_t file, ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  Opened image = open(file, "/image", path);
  bool half = H5Tget_class(image.type.get()) == H5T_FLOAT && H5Tget_size(image.type.get()) == 2;
  expect(is_uint8(image.type.get()) || half, path, "has /image of a type other than uint8/float16");
  expect((image.dims.size() == 4 || image.dims.size() == 5) && image.dims[0] == n, path,
         "has /image whose shape is not [num_samples, C, (D,) H, W]");
  shard.images.dtype = half ? PixelType::kFloat16 : PixelType::kUint8;
  shard.images.shape.assign(image.dims.begin() + 1, image.dims.end());
  shard.images.has_mask = exists(file, "/mask");
  if (shard.images.has_mask) {
    Opened mask = open(file, "/mask", path);
    std::vector<hsize_t> expected(image.dims);
    expected.erase(expected.begin() + 1);
    expect(is_uint8(mask.type.get()) && mask.dims == expected, path,
           "has /mask that is not uint8 of the image's shape without channels");
  }
}

void read_extents(hid_t file, ShardData& shard, const std::string& path) {
  expect(!shard.images.shape.empty(), path, "has /extent but no /image");
  Opened extent = open(file, "/extent", path);
  const auto n = static_cast<hsize_t>(shard.num_samples());
  expect(H5Tget_class(extent.type.get()) == H5T_INTEGER &&
             extent.dims == std::vector<hsize_t>{n, 3},
         path, "has /extent that is not integers [num_samples, 3] (D, H, W per sample)");
  std::vector<std::int64_t> values(n * 3);
  if (n > 0) read_all(extent, H5T_NATIVE_INT64, values.data(), "/extent", path);
  const std::array<std::int64_t, 3> full = full_extent(shard.images.shape);
  for (std::size_t k = 0; k < values.size(); ++k) {
    const std::size_t axis = k % 3;
    if (values[k] < 1 || values[k] > full[axis]) {
      damaged(path, "has /extent " + std::to_string(values[k]) + " for sample " +
                        std::to_string(k / 3) + " (axis " + std::string(1, "DHW"[axis]) +
                        "), outside 1.." +
                        std::to_string(full[axis]) + " of its /image");
    }
  }
  shard.images.extents.assign(values.begin(), values.end());
}

void read_meta(hid_t file, ShardData& shard, const std::string& path) {
  Opened meta = open(file, "/image_meta", path);
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  expect(H5Tget_class(meta.type.get()) == H5T_STRING &&
             H5Tis_variable_str(meta.type.get()) == 0 && meta.dims == std::vector<hsize_t>{n},
         path, "has /image_meta that is not one fixed-length string per sample");
  std::size_t width = H5Tget_size(meta.type.get());
  std::string packed(width * n, '\0');
  if (n > 0) read_all(meta, meta.type.get(), packed.data(), "/image_meta", path);
  for (hsize_t i = 0; i < n; ++i) {
    std::string text = packed.substr(i * width, width);
    shard.images.meta.push_back(text.substr(0, text.find('\0')));
  }
}

void read_labels_multi(hid_t file, ShardData& shard, const std::string& path) {
  Opened multi = open(file, "/labels_multi", path);
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  expect(H5Tget_class(multi.type.get()) == H5T_INTEGER && multi.dims.size() == 2 &&
             multi.dims[0] == n,
         path, "has /labels_multi whose shape is not [num_samples, K]");
  shard.num_labels_multi = static_cast<std::int64_t>(multi.dims[1]);
  shard.labels_multi.resize(n * multi.dims[1]);
  if (!shard.labels_multi.empty()) {
    read_all(multi, H5T_NATIVE_UINT8, shard.labels_multi.data(), "/labels_multi", path);
  }
  for (std::uint8_t v : shard.labels_multi) expect(v <= 1, path, "has /labels_multi not 0 or 1");
}

void read_survival(hid_t file, ShardData& shard, const std::string& path) {
  expect(exists(file, "/time") && exists(file, "/event"), path,
         "has only one of /time and /event");
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  Opened time = open(file, "/time", path);
  Opened event = open(file, "/event", path);
  expect(H5Tget_class(time.type.get()) == H5T_FLOAT && time.dims == std::vector<hsize_t>{n} &&
             H5Tget_class(event.type.get()) == H5T_INTEGER &&
             event.dims == std::vector<hsize_t>{n},
         path, "has /time or /event that is not one number per sample");
  shard.time.resize(n);
  shard.event.resize(n);
  if (n == 0) return;
  read_all(time, H5T_NATIVE_FLOAT, shard.time.data(), "/time", path);
  read_all(event, H5T_NATIVE_UINT8, shard.event.data(), "/event", path);
  for (std::uint8_t v : shard.event) expect(v <= 1, path, "has an /event not 0 or 1");
}

void read_target(hid_t file, ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  Opened target = open(file, "/target", path);
  expect(H5Tget_class(target.type.get()) == H5T_FLOAT && target.dims == std::vector<hsize_t>{n},
         path, "has /target that is not one number per sample (num_samples " +
                   std::to_string(n) + ")");
  shard.target.resize(n);
  if (n > 0) read_all(target, H5T_NATIVE_FLOAT, shard.target.data(), "/target", path);
}

}  // namespace

std::int64_t ShardImages::sample_pixels() const { return shape.empty() ? 0 : product(shape, 0); }
std::int64_t ShardImages::mask_pixels() const { return shape.empty() ? 0 : product(shape, 1); }

std::array<std::int64_t, 3> ShardImages::extent(std::int64_t sample) const {
  if (!extents.empty()) {
    const auto row = static_cast<std::size_t>(sample) * 3;
    GALIEN_CHECK(sample >= 0 && row + 3 <= extents.size(), "sample " << sample << " has no extent");
    return {extents[row], extents[row + 1], extents[row + 2]};
  }
  return full_extent(shape);
}

H5Handle float16_type() {
  // The order matters: the fields must fit the size before the size shrinks to 2 bytes.
  H5Handle type(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  GALIEN_CHECK(H5Tset_fields(type.get(), 15, 10, 5, 0, 10) >= 0 &&
                   H5Tset_size(type.get(), 2) >= 0 && H5Tset_ebias(type.get(), 15) >= 0,
               "HDF5 float16 type");
  return type;
}

void write_optional_datasets(hid_t file, const ShardData& shard, const std::string& path) {
  if (!shard.images.shape.empty()) write_images(file, shard, path);
  if (!shard.images.extents.empty()) write_extents(file, shard, path);
  if (shard.num_labels_multi > 0) write_labels_multi(file, shard, path);
  if (!shard.time.empty() || !shard.event.empty()) write_survival(file, shard, path);
  if (!shard.target.empty()) write_target(file, shard, path);
}

void read_optional_datasets(hid_t file, ShardData& shard, const std::string& path) {
  if (exists(file, "/image")) read_image_layout(file, shard, path);
  if (exists(file, "/extent")) read_extents(file, shard, path);
  if (exists(file, "/image_meta")) read_meta(file, shard, path);
  if (exists(file, "/labels_multi")) read_labels_multi(file, shard, path);
  if (exists(file, "/time") || exists(file, "/event")) read_survival(file, shard, path);
  if (exists(file, "/target")) read_target(file, shard, path);
}

}  // namespace galien
