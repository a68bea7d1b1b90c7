#include "datasets/shard.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "datasets/h5_storage_check.h"
#include "datasets/shard_images.h"

namespace galien {
namespace {

constexpr const char* kFormat = "galien-shard";
constexpr std::size_t kPseudonymLength = 64;
constexpr hsize_t kChunkRows = 1024;

// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), close_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and reports failure: for a file, closing is when the last bytes are written.
  bool close() {
    herr_t status = close_(id_);
    id_ = -1;
    return status >= 0;
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// Library errors are turned into UserErrors that name the file, so HDF5's own stack dump on
// stderr would only be noise.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

// Branch-free over the whole string: random hex digits defeat the branch predictor of a
// short-circuit test, and this check ran at ~2 ns per character, the largest cost of reading a
// table shard (measured with bench/bench_shard_read).
bool is_pseudonym(const std::string& text) {
  if (text.size() != kPseudonymLength) return false;
  unsigned bad = 0;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bad |= static_cast<unsigned>(static_cast<unsigned char>(u - '0') >= 10 &&
                                 static_cast<unsigned char>(u - 'a') >= 6);
  }
  return bad == 0;
}

// ---- writing ----

void require(bool ok, const std::string& path, const char* what) {
  if (!ok) {
    GALIEN_USER_ERROR("cannot write " << what << " to shard " << path
                                      << ": check free space and permissions of its directory");
  }
}

// Object modification times off: the same data gives byte-identical shards (stable SHA-256).
Handle untimed_plist(hid_t cls) {
  Handle plist(H5Pcreate(cls), H5Pclose);
  GALIEN_CHECK(plist.valid() && H5Pset_obj_track_times(plist.get(), false) >= 0,
               "HDF5 property list");
  return plist;
}

void write_attribute(hid_t file, const char* name, hid_t type, const void* value,
                     const std::string& path) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(file, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  require(attr.valid() && H5Awrite(attr.get(), type, value) >= 0, path, name);
}

void write_attribute(hid_t file, const char* name, std::int64_t value, const std::string& path) {
  write_attribute(file, name, H5T_NATIVE_INT64, &value, path);
}

void write_attribute(hid_t file, const char* name, const std::string& value,
                     const std::string& path) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  write_attribute(file, name, type.get(), value.c_str(), path);
}

void write_dataset(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                   const std::vector<hsize_t>& dims, hid_t dcpl, const void* data,
                   const std::string& path) {
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dataset(H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 H5Dclose);
  require(dataset.valid(), path, name);
  bool empty = std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end();
  if (!empty) {
    require(H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, path,
            name);
  }
}

void write_pseudonyms(hid_t file, const ShardData& shard, const std::string& path) {
  std::string packed;
  packed.reserve(shard.pseudonyms.size() * kPseudonymLength);
  for (const std::string& p : shard.pseudonyms) packed += p;
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), kPseudonymLength);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  Handle dcpl = untimed_plist(H5P_DATASET_CREATE);
  write_dataset(file, "/pseudonym", type.get(), type.get(), {shard.pseudonyms.size()}, dcpl.get(),
                packed.data(), path);
}

void write_features(hid_t file, const ShardData& shard, const std::string& path) {
  hsize_t rows = static_cast<hsize_t>(shard.num_samples());
  hsize_t cols = static_cast<hsize_t>(shard.num_features);
  Handle dcpl = untimed_plist(H5P_DATASET_CREATE);
  // Row chunks: a reader pulls whole samples, and h5py/h5dump read chunked data natively.
  hsize_t chunk[2] = {std::clamp<hsize_t>(rows, 1, kChunkRows), std::max<hsize_t>(cols, 1)};
  GALIEN_CHECK(H5Pset_chunk(dcpl.get(), 2, chunk) >= 0, "H5Pset_chunk");
  write_dataset(file, "/features", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {rows, cols}, dcpl.get(),
                shard.features.data(), path);
}

void write_labels(hid_t file, const ShardData& shard, const std::string& path) {
  Handle dcpl = untimed_plist(H5P_DATASET_CREATE);
  write_dataset(file, "/label", H5T_STD_I64LE, H5T_NATIVE_INT64, {shard.labels.size()}, dcpl.get(),
                shard.labels.data(), path);
}

void check_writable(const ShardData& shard) {
  GALIEN_CHECK(shard.pseudonyms.size() == shard.labels.size(), "pseudonyms and labels differ");
  GALIEN_CHECK(
      shard.features.size() == static_cast<std::size_t>(shard.num_samples() * shard.num_features),
      "features are not num_samples x num_features");
  GALIEN_CHECK(shard.shard_index >= 0 && shard.shard_index < shard.num_shards, "shard index");
  // Only pseudonyms may reach a shard: anything else could be a raw patient id.
  for (const std::string& p : shard.pseudonyms) {
    GALIEN_CHECK(is_pseudonym(p), "refusing to write a patient key that is not a pseudonym");
  }
}

// `fapl` and `image`: the in-memory variant (shard_file_image) passes the core driver and takes
// a copy of the finished file before closing it.
void copy_file_image(hid_t file, const std::string& path, std::vector<std::uint8_t>& image) {
  require(H5Fflush(file, H5F_SCOPE_LOCAL) >= 0, path, "the in-memory file");
  ssize_t size = H5Fget_file_image(file, nullptr, 0);
  require(size > 0, path, "the in-memory file");
  image.resize(static_cast<std::size_t>(size));
  require(H5Fget_file_image(file, image.data(), image.size()) == size, path, "the in-memory file");
}

void write_contents(const std::string& file_path, const std::string& path, const ShardData& shard,
                    hid_t fapl = H5P_DEFAULT, std::vector<std::uint8_t>* image = nullptr) {
  Handle fcpl = untimed_plist(H5P_FILE_CREATE);
  Handle file(H5Fcreate(file_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl), H5Fclose);
  if (!file.valid()) {
    GALIEN_USER_ERROR("cannot create shard "
                      << path << ": check that its directory exists and is writable");
  }
  hid_t root = file.get();
  write_attribute(root, "format", std::string(kFormat), path);
  write_attribute(root, "format_version_major", kShardFormatMajor, path);
  // The lowest minor version that describes the file (shard.h): 1.4 for images with their
  // chunk index, 1.3 for /extent, else 1.2 (tables keep the bytes they had).
  const bool indexed = !shard.images.shape.empty() && shard.images.chunk_index;
  write_attribute(root, "format_version_minor", indexed ? 4 : shard.images.extents.empty() ? 2 : 3,
                  path);
  write_attribute(root, "split", shard.split, path);
  write_attribute(root, "shard_index", shard.shard_index, path);
  write_attribute(root, "num_shards", shard.num_shards, path);
  write_attribute(root, "num_samples", shard.num_samples(), path);
  write_attribute(root, "num_features", shard.num_features, path);
  write_pseudonyms(root, shard, path);
  write_features(root, shard, path);
  write_labels(root, shard, path);
  write_optional_datasets(root, shard, path);  // format 1.1: images, masks, ...
  if (image) copy_file_image(file.get(), path, *image);
  require(file.close(), path, "the last bytes");
}

// ---- reading ----

[[noreturn]] void damaged(const std::string& path, const std::string& what) {
  GALIEN_USER_ERROR("shard " << path << " " << what
                             << ": the file is damaged or not a galien shard; copy it again or "
                             << "re-run `galien shard`");
}

Handle open_attribute(hid_t file, const char* name, H5T_class_t expected, const std::string& path) {
  if (H5Aexists(file, name) <= 0) damaged(path, std::string("has no attribute '") + name + "'");
  Handle attr(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Tget_class(type.get()) != expected || H5Sget_simple_extent_npoints(space.get()) != 1 ||
      (expected == H5T_STRING && H5Tis_variable_str(type.get()) != 0)) {
    damaged(path, std::string("has an attribute '") + name + "' of the wrong type");
  }
  return attr;
}

std::int64_t read_int_attribute(hid_t file, const char* name, const std::string& path) {
  Handle attr = open_attribute(file, name, H5T_INTEGER, path);
  std::int64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) damaged(path, "has unreadable attributes");
  return value;
}

std::string read_string_attribute(hid_t file, const char* name, const std::string& path) {
  Handle attr = open_attribute(file, name, H5T_STRING, path);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attr.get(), type.get(), value.data()) < 0) damaged(path, "has unreadable attributes");
  return value.substr(0, value.find('\0'));
}

void check_format(hid_t file, const std::string& path) {
  std::string format = read_string_attribute(file, "format", path);
  if (format != kFormat) damaged(path, "has format '" + format + "', not '" + kFormat + "'");
  std::int64_t major = read_int_attribute(file, "format_version_major", path);
  std::int64_t minor = read_int_attribute(file, "format_version_minor", path);
  if (major > kShardFormatMajor) {
    GALIEN_USER_ERROR(
        "shard " << path << " has format version " << major << "." << minor
                 << ", newer than this galien reads (" << kShardFormatMajor
                 << ".x): use a newer galien, or re-run `galien shard` with this one");
  }
  if (major < 1) damaged(path, "has format version " + std::to_string(major));
}

ShardData read_header(hid_t file, const std::string& path) {
  check_format(file, path);
  ShardData shard;
  shard.split = read_string_attribute(file, "split", path);
  std::int64_t index = read_int_attribute(file, "shard_index", path);
  std::int64_t count = read_int_attribute(file, "num_shards", path);
  shard.num_features = read_int_attribute(file, "num_features", path);
  std::int64_t samples = read_int_attribute(file, "num_samples", path);
  if (count < 1 || count > (1 << 30) || index < 0 || index >= count || samples < 0 ||
      shard.num_features < 0) {
    damaged(path,
            "has an inconsistent header (shard_index, num_shards, num_samples or "
            "num_features out of range)");
  }
  // Every sample has a 64-character hex pseudonym: even compressed, at least 32 bytes of the
  // file. A larger num_samples is damage, caught before anything is allocated for it (fuzzing
  // found a header asking for 2^62 labels: std::length_error instead of a message).
  hsize_t file_size = 0;
  if (H5Fget_filesize(file, &file_size) < 0 ||
      static_cast<std::uint64_t>(samples) > file_size / (kPseudonymLength / 2)) {
    damaged(path, "says it holds " + std::to_string(samples) + " samples, more than its " +
                      std::to_string(file_size) + " bytes can");
  }
  shard.shard_index = static_cast<int>(index);
  shard.num_shards = static_cast<int>(count);
  shard.labels.resize(static_cast<std::size_t>(samples));
  return shard;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

Handle open_dataset(hid_t file, const char* name, H5T_class_t expected_class,
                    const std::vector<hsize_t>& expected_dims, const std::string& path) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) damaged(path, std::string("has no dataset ") + name);
  Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (!dataset.valid() || H5Tget_class(type.get()) != expected_class) {
    damaged(path, std::string("has a dataset ") + name + " of the wrong type");
  }
  std::vector<hsize_t> dims(
      static_cast<std::size_t>(std::max(0, H5Sget_simple_extent_ndims(space.get()))));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (dims != expected_dims) {
    damaged(path, std::string("has dataset ") + name + " of shape " + shape_text(dims) +
                      " but its header says " + shape_text(expected_dims));
  }
  return dataset;
}

void read_data(const Handle& dataset, hid_t mem_type, void* out, bool empty, const char* name,
               const std::string& path) {
  if (empty) return;
  // HDF5 1.10 trusts the stored sizes it reads with (datasets/h5_storage_check.h).
  check_dataset_storage(dataset.get(), name, hdf5_file_bytes(dataset.get()), path);
  if (H5Dread(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    damaged(path, std::string("has an unreadable dataset ") + name);
  }
}

void read_pseudonyms(hid_t file, ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  Handle dataset = open_dataset(file, "/pseudonym", H5T_STRING, {n}, path);
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  std::size_t width = H5Tget_size(type.get());
  if (H5Tis_variable_str(type.get()) != 0 || width != kPseudonymLength) {
    damaged(path, "has pseudonyms that are not 64-character strings");
  }
  std::string packed(n * width, '\0');
  read_data(dataset, type.get(), packed.data(), n == 0, "/pseudonym", path);
  for (hsize_t i = 0; i < n; ++i) {
    shard.pseudonyms.push_back(packed.substr(i * width, width));
    if (!is_pseudonym(shard.pseudonyms.back())) damaged(path, "has a malformed pseudonym");
  }
}

void read_features(hid_t file, ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  hsize_t f = static_cast<hsize_t>(shard.num_features);
  Handle dataset = open_dataset(file, "/features", H5T_FLOAT, {n, f}, path);
  shard.features.resize(n * f);
  read_data(dataset, H5T_NATIVE_FLOAT, shard.features.data(), n * f == 0, "/features", path);
}

void read_labels(hid_t file, ShardData& shard, const std::string& path) {
  hsize_t n = static_cast<hsize_t>(shard.num_samples());
  Handle dataset = open_dataset(file, "/label", H5T_INTEGER, {n}, path);
  read_data(dataset, H5T_NATIVE_INT64, shard.labels.data(), n == 0, "/label", path);
  for (std::int64_t label : shard.labels) {
    if (label < 0) damaged(path, "has a negative label");
  }
}

ShardData read_contents(hid_t file, const std::string& path) {
  try {
    ShardData shard = read_header(file, path);
    read_pseudonyms(file, shard, path);
    read_features(file, shard, path);
    read_labels(file, shard, path);
    read_optional_datasets(file, shard, path);
    return shard;
  } catch (const std::length_error&) {
    // Dataset extents are the file's word (a sparse dataset can claim any size): one that no
    // vector can hold is damage, said as such rather than as an exception from the library.
    damaged(path, "declares datasets larger than memory can hold");
  } catch (const std::bad_alloc&) {
    damaged(path, "declares datasets larger than memory can hold");
  }
}

}  // namespace

void write_shard(const std::string& path, const ShardData& shard) {
  silence_hdf5();
  check_writable(shard);
  // Written under a temporary name and renamed: a crash never leaves a half shard in place.
  std::string partial = path + ".partial";
  try {
    write_contents(partial, path, shard);
  } catch (...) {
    std::remove(partial.c_str());
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) GALIEN_USER_ERROR("cannot rename " << partial << " to " << path << ": " << ec.message());
}

ShardData read_shard(const std::string& path) {
  silence_hdf5();
  if (!std::filesystem::is_regular_file(path)) {
    GALIEN_USER_ERROR("shard " << path << " does not exist: check data.shard_dir, or re-run "
                               << "`galien shard`");
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) damaged(path, "is not a readable HDF5 file");
  return read_contents(file.get(), path);
}

std::vector<std::uint8_t> shard_file_image(const ShardData& shard, const std::string& name) {
  silence_hdf5();
  check_writable(shard);
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  // backing_store = 0: the core driver never creates, writes or flushes a file on disk.
  GALIEN_CHECK(fapl.valid() && H5Pset_fapl_core(fapl.get(), 1 << 20, 0) >= 0, "core driver");
  std::vector<std::uint8_t> image;
  write_contents(name, name, shard, fapl.get(), &image);
  return image;
}

ShardData read_shard_image(void* image, std::size_t size, const std::string& path) {
  silence_hdf5();
  // Neither copied nor freed by HDF5: the caller's buffer is read in place.
  const unsigned flags = H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE;
  Handle file(H5LTopen_file_image(image, size, flags), H5Fclose);
  if (!file.valid()) damaged(path, "does not hold a readable HDF5 file");
  return read_contents(file.get(), path);
}

}  // namespace galien
