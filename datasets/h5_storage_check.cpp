#include "datasets/h5_storage_check.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/h5_handle.h"

namespace galien {
namespace {

[[noreturn]] void damaged(const std::string& path, const char* name, const std::string& what) {
  GALIEN_USER_ERROR("shard " << path << " has a damaged dataset " << name << " (" << what
                             << "): the file is damaged or not a galien shard; copy it again "
                             << "or re-run `galien shard`");
}

std::string at_text(const std::vector<hsize_t>& coords) {
  std::string text = "[";
  for (std::size_t i = 0; i < coords.size(); ++i)
    text += (i ? ", " : "") + std::to_string(coords[i]);
  return text + "]";
}

// `a * b` unless it overflows 64 bits.
bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}

bool inside(std::uint64_t address, std::uint64_t size, std::uint64_t file_bytes) {
  return address <= file_bytes && size <= file_bytes - address;
}

struct Shape {
  std::vector<hsize_t> dims;
  std::uint64_t element_bytes = 0;
  std::uint64_t bytes = 0;  // elements x element size
  bool fixed_size = true;   // false: variable-length elements (heap references), sizes not checked
};

Shape shape_of(hid_t dataset, const char* name, const std::string& path) {
  Shape s;
  H5Handle type(H5Dget_type(dataset), H5Tclose);
  H5Handle space(H5Dget_space(dataset), H5Sclose);
  if (!type.valid() || !space.valid()) damaged(path, name, "unreadable type or shape");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) damaged(path, name, "unreadable shape");
  s.dims.resize(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), s.dims.data(), nullptr);
  s.fixed_size = H5Tget_class(type.get()) != H5T_VLEN && H5Tis_variable_str(type.get()) <= 0;
  s.element_bytes = H5Tget_size(type.get());
  std::uint64_t bytes = s.element_bytes;
  for (hsize_t d : s.dims)
    if (!multiply(bytes, d, bytes)) damaged(path, name, "shape too large to address");
  s.bytes = bytes;
  return s;
}

void check_contiguous(hid_t dataset, const char* name, const Shape& shape,
                      std::uint64_t file_bytes, const std::string& path) {
  const haddr_t address = H5Dget_offset(dataset);
  if (address == HADDR_UNDEF) return;  // never written: HDF5 returns fill values
  const std::uint64_t stored = H5Dget_storage_size(dataset);
  if (!inside(address, stored, file_bytes))
    damaged(path, name, std::to_string(stored) + " bytes at byte " + std::to_string(address) +
                            ", outside the file's " + std::to_string(file_bytes));
  if (shape.fixed_size && stored != shape.bytes)
    damaged(path, name, std::to_string(stored) + " bytes stored for " +
                            std::to_string(shape.bytes) + " bytes of data");
}

void check_compact(hid_t dataset, const char* name, const Shape& shape, const std::string& path) {
  const std::uint64_t stored = H5Dget_storage_size(dataset);
  if (shape.fixed_size && stored != shape.bytes)
    damaged(path, name, std::to_string(stored) + " bytes stored in its header for " +
                            std::to_string(shape.bytes) + " bytes of data");
}

struct Chunking {
  std::vector<hsize_t> chunk;
  std::uint64_t chunk_bytes = 0;  // chunk shape x element size: an unfiltered chunk's size
  unsigned filters = 0;
};

Chunking chunking_of(hid_t dcpl, const char* name, const Shape& shape, const std::string& path) {
  Chunking c;
  c.chunk.assign(shape.dims.size(), 0);
  const int rank = static_cast<int>(shape.dims.size());
  if (H5Pget_chunk(dcpl, rank, c.chunk.data()) != rank)
    damaged(path, name, "chunk shape does not match its rank");
  std::uint64_t bytes = shape.element_bytes;
  for (hsize_t d : c.chunk)
    if (d == 0 || !multiply(bytes, d, bytes)) damaged(path, name, "unusable chunk shape");
  c.chunk_bytes = bytes;
  const int filters = H5Pget_nfilters(dcpl);
  if (filters < 0) damaged(path, name, "unreadable filters");
  c.filters = static_cast<unsigned>(filters);
  return c;
}

// Whether a chunk with filter mask `mask` is stored as plain bytes (no filter, or all skipped).
bool stored_plain(const Chunking& c, unsigned mask) {
  if (c.filters == 0) return true;
  if (c.filters >= 32) return false;
  const unsigned all = (1u << c.filters) - 1;
  return (mask & all) == all;
}

void check_one_chunk(const char* name, const Shape& shape, const Chunking& c, bool plain,
                     std::uint64_t stored, const std::vector<hsize_t>& at,
                     std::uint64_t file_bytes, const std::string& path) {
  if (stored > file_bytes)
    damaged(path, name, "chunk at " + at_text(at) + " of " + std::to_string(stored) +
                            " bytes, more than the file's " + std::to_string(file_bytes));
  if (shape.fixed_size && plain && stored != c.chunk_bytes)
    damaged(path, name, "chunk at " + at_text(at) + " of " + std::to_string(stored) +
                            " bytes stored for " + std::to_string(c.chunk_bytes));
}

// Few chunks: each one's address, size and filter mask (H5Dget_chunk_info, quadratic overall).
void check_chunks_located(hid_t dataset, hid_t space, hsize_t allocated, const char* name,
                          const Shape& shape, const Chunking& c, std::uint64_t file_bytes,
                          const std::string& path) {
  std::vector<hsize_t> at(shape.dims.size(), 0);
  for (hsize_t k = 0; k < allocated; ++k) {
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t stored = 0;
    if (H5Dget_chunk_info(dataset, space, k, at.data(), &mask, &address, &stored) < 0)
      damaged(path, name, "unreadable chunk index");
    if (address == HADDR_UNDEF) continue;
    if (!inside(address, stored, file_bytes))
      damaged(path, name, "chunk at " + at_text(at) + " of " + std::to_string(stored) +
                              " bytes at byte " + std::to_string(address) +
                              ", outside the file's " + std::to_string(file_bytes));
    check_one_chunk(name, shape, c, stored_plain(c, mask), stored, at, file_bytes, path);
  }
}

// Many chunks: each chunk of the grid's size as HDF5 reports it (a B-tree lookup each; 0 = not
// allocated). For an unfiltered chunk HDF5 1.10.8 reports the shape's size, not the chunk's
// record (header, "Cost"); a filtered dataset's masks are not seen here.
void check_chunk_sizes(hid_t dataset, const char* name, const Shape& shape, const Chunking& c,
                       std::uint64_t file_bytes, const std::string& path) {
  const std::size_t rank = shape.dims.size();
  for (hsize_t d : shape.dims)
    if (d == 0) return;
  std::vector<hsize_t> at(rank, 0);
  while (true) {
    hsize_t stored = 0;
    if (H5Dget_chunk_storage_size(dataset, at.data(), &stored) < 0)
      damaged(path, name, "unreadable chunk index");
    if (stored > 0) check_one_chunk(name, shape, c, c.filters == 0, stored, at, file_bytes, path);
    std::size_t a = rank;  // next chunk of the grid, last axis fastest
    while (a-- > 0) {
      at[a] += c.chunk[a];
      if (at[a] < shape.dims[a]) break;
      at[a] = 0;
    }
    if (a == static_cast<std::size_t>(-1)) return;
  }
}

void check_chunked(hid_t dataset, hid_t dcpl, const char* name, const Shape& shape,
                   std::uint64_t file_bytes, const std::string& path) {
  const Chunking c = chunking_of(dcpl, name, shape, path);
  H5Handle space(H5Dget_space(dataset), H5Sclose);
  hsize_t allocated = 0;
  if (H5Dget_num_chunks(dataset, space.get(), &allocated) < 0)
    damaged(path, name, "unreadable chunk index");
  if (allocated <= kMaxChunksLocated)
    check_chunks_located(dataset, space.get(), allocated, name, shape, c, file_bytes, path);
  else
    check_chunk_sizes(dataset, name, shape, c, file_bytes, path);
}

}  // namespace

void check_dataset_storage(hid_t dataset, const char* name, std::uint64_t file_bytes,
                           const std::string& path) {
  const Shape shape = shape_of(dataset, name, path);
  H5Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (!dcpl.valid()) damaged(path, name, "unreadable layout");
  switch (H5Pget_layout(dcpl.get())) {
    case H5D_CONTIGUOUS:
      check_contiguous(dataset, name, shape, file_bytes, path);
      return;
    case H5D_COMPACT:
      check_compact(dataset, name, shape, path);
      return;
    case H5D_CHUNKED:
      check_chunked(dataset, dcpl.get(), name, shape, file_bytes, path);
      return;
    default:  // virtual datasets (other files) and unknown layouts: galien never writes them
      damaged(path, name, "a storage layout galien does not write");
  }
}

std::uint64_t hdf5_file_bytes(hid_t object) {
  H5Handle file(H5Iget_file_id(object), H5Fclose);
  hsize_t size = 0;
  if (!file.valid() || H5Fget_filesize(file.get(), &size) < 0) return 0;
  return size;
}

}  // namespace galien
