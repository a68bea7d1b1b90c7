#include "datasets/chunk_index.h"

#include <zlib.h>
#if GALIEN_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "datasets/h5_handle.h"
#include "datasets/h5_storage_check.h"
#include "datasets/shard_images.h"

namespace galien {
namespace {

[[noreturn]] void damaged_index(const std::string& path, const std::string& name,
                                const std::string& what) {
  GALIEN_USER_ERROR("shard " << path << " has a damaged chunk index (" << name << ": " << what
                             << "): the file is damaged or was not written by galien; copy it "
                             << "again or re-run `galien shard`");
}

std::vector<hsize_t> dims_of(hid_t dataset) {
  H5Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(0, rank)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

// HDF5's shuffle filter, undone: element byte j of element e was stored at j * n + e.
void unshuffle(const std::uint8_t* in, std::size_t bytes, std::size_t element_size,
               std::uint8_t* out) {
  const std::size_t n = bytes / element_size;
  for (std::size_t j = 0; j < element_size; ++j)
    for (std::size_t e = 0; e < n; ++e) out[e * element_size + j] = in[j * n + e];
  // Trailing bytes that fill no whole element are stored as they are (never for galien's
  // chunks, whose size is a multiple of the element size).
  std::memcpy(out + n * element_size, in + n * element_size, bytes - n * element_size);
}

#if GALIEN_HAVE_LIBDEFLATE
// libdeflate (whole-buffer decompression; CMake uses it when present) inflates HDF5's
// zlib-wrapped deflate chunks ~2x as fast as zlib here (bench_image_read, gzip shards), same
// bytes: it checks the Adler-32 as zlib does. One decompressor per thread.
bool inflate_exact(const std::uint8_t* in, std::size_t in_size, std::uint8_t* out,
                   std::size_t out_size) {
  struct Decompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Decompressor() { libdeflate_free_decompressor(d); }
  };
  thread_local Decompressor decompressor;
  std::size_t produced = 0;
  return decompressor.d != nullptr &&
         libdeflate_zlib_decompress(decompressor.d, in, in_size, out, out_size, &produced) ==
             LIBDEFLATE_SUCCESS &&
         produced == out_size;
}
#else
// zlib: one inflate state per thread, reset between chunks (no state and window allocated
// per 4 KB chunk).
class Inflater {
 public:
  Inflater() { ready_ = inflateInit(&z_) == Z_OK; }
  ~Inflater() {
    if (ready_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool inflate_exact(const std::uint8_t* in, std::size_t in_size, std::uint8_t* out,
                     std::size_t out_size) {
    if (!ready_ || inflateReset(&z_) != Z_OK) return false;
    z_.next_in = const_cast<Bytef*>(in);
    z_.avail_in = static_cast<uInt>(in_size);
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(out_size);
    const int status = inflate(&z_, Z_FINISH);
    return status == Z_STREAM_END && z_.total_out == out_size;
  }

 private:
  z_stream z_{};
  bool ready_ = false;
};

// zlib-wrapped deflate (what HDF5's deflate filter writes) of `in` into exactly `out_size`
// bytes; false when the stream is broken or does not decode to that size.
bool inflate_exact(const std::uint8_t* in, std::size_t in_size, std::uint8_t* out,
                   std::size_t out_size) {
  thread_local Inflater inflater;
  return inflater.inflate_exact(in, in_size, out, out_size);
}
#endif

}  // namespace

std::vector<ChunkLocation> locate_chunks(hid_t dataset, std::int64_t samples) {
  GALIEN_CHECK(H5Dflush(dataset) >= 0, "H5Dflush before locating chunks");
  std::vector<hsize_t> coords(dims_of(dataset).size(), 0);
  std::vector<ChunkLocation> chunks(static_cast<std::size_t>(samples));
  for (std::int64_t i = 0; i < samples; ++i) {
    coords[0] = static_cast<hsize_t>(i);
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t size = 0;
    GALIEN_CHECK(H5Dget_chunk_info_by_coord(dataset, coords.data(), &mask, &address, &size) >= 0 &&
                     address != HADDR_UNDEF && size > 0,
                 "chunk of sample " << i << " not allocated after writing it");
    chunks[static_cast<std::size_t>(i)] = {address, size, mask};
  }
  return chunks;
}

std::vector<std::uint64_t> chunk_index_rows(const std::vector<ChunkLocation>& chunks) {
  std::vector<std::uint64_t> rows;
  rows.reserve(chunks.size() * 3);
  for (const ChunkLocation& c : chunks) {
    rows.push_back(c.offset);
    rows.push_back(c.size);
    rows.push_back(c.filter_mask);
  }
  return rows;
}

ChunkIndexLookup ChunkIndex::read(hid_t file, hid_t dataset, const char* dataset_name,
                                  const char* index_name, std::int64_t samples,
                                  std::size_t element_size, const std::uint8_t* image,
                                  std::size_t image_size, const std::string& path) {
  ChunkIndexLookup found;
  if (H5Lexists(file, index_name, H5P_DEFAULT) <= 0) return found;  // written before 1.4
  const std::string name = index_name;
  // The dataset's layout: decodable here only as galien writes it.
  auto unusable = [&](const std::string& why) {
    found.unusable = std::string(dataset_name) + " " + why;
    return found;
  };
  if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) return unusable("is little-endian, this host not");
  H5Handle dcpl(H5Dget_create_plist(dataset), H5Pclose);
  const std::vector<hsize_t> dims = dims_of(dataset);
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return unusable("is not chunked");
  std::vector<hsize_t> chunk(dims.size(), 0);
  if (H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) !=
          static_cast<int>(dims.size()) ||
      chunk[0] != 1 || !std::equal(chunk.begin() + 1, chunk.end(), dims.begin() + 1))
    return unusable("has chunks other than one whole sample each");
  H5Handle type(H5Dget_type(dataset), H5Tclose);
  if (element_size == 2) {
    H5Handle half = float16_type();
    if (H5Tequal(type.get(), half.get()) <= 0)
      return unusable("has a float16 layout galien does not write");
  } else if (H5Tget_size(type.get()) != 1) {
    return unusable("has elements of " + std::to_string(H5Tget_size(type.get())) + " bytes");
  }
  ChunkIndex index;
  const int nfilters = H5Pget_nfilters(dcpl.get());
  for (int k = 0; k < nfilters; ++k) {
    unsigned flags = 0;
    std::size_t nvalues = 0;
    char filter_name[64];
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(k), &flags, &nvalues,
                                           nullptr, sizeof filter_name, filter_name, nullptr);
    if (id == H5Z_FILTER_SHUFFLE)
      index.filters_.push_back(Filter::kShuffle);
    else if (id == H5Z_FILTER_DEFLATE)
      index.filters_.push_back(Filter::kDeflate);
    else
      return unusable("has HDF5 filter " + std::to_string(id) + ", which galien does not write");
  }
  index.image_ = image;
  index.image_size_ = image_size;
  index.element_size_ = element_size;
  index.path_ = path;
  index.name_ = name;
  index.chunk_bytes_ = element_size;
  for (std::size_t a = 1; a < dims.size(); ++a)
    index.chunk_bytes_ *= static_cast<std::size_t>(dims[a]);

  // The index itself: uint64 [samples, 3].
  H5Handle rows_set(H5Dopen2(file, index_name, H5P_DEFAULT), H5Dclose);
  if (!rows_set.valid()) damaged_index(path, name, "unreadable");
  H5Handle rows_type(H5Dget_type(rows_set.get()), H5Tclose);
  const auto n = static_cast<hsize_t>(samples);
  if (H5Tget_class(rows_type.get()) != H5T_INTEGER || H5Tget_size(rows_type.get()) != 8 ||
      dims_of(rows_set.get()) != std::vector<hsize_t>{n, 3})
    damaged_index(path, name, "not uint64 [num_samples, 3]");
  std::vector<std::uint64_t> rows(static_cast<std::size_t>(n) * 3);
  if (n > 0) check_dataset_storage(rows_set.get(), index_name, image_size, path);
  if (n > 0 &&
      H5Dread(rows_set.get(), H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()) < 0)
    damaged_index(path, name, "unreadable");
  index.chunks_.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < index.chunks_.size(); ++i) {
    const std::uint64_t mask = rows[3 * i + 2];
    if (mask > 0xffffffffu)
      damaged_index(path, name,
                    "sample " + std::to_string(i) + " has filter mask " + std::to_string(mask));
    index.chunks_[i] = {rows[3 * i], rows[3 * i + 1], static_cast<std::uint32_t>(mask)};
    index.check_chunk(static_cast<std::int64_t>(i));
  }

  // Spot check against HDF5's own lookup and read, first and last sample: an index that
  // disagrees with the file's chunk B-tree (or that this decoder misreads) is caught at open.
  std::vector<hsize_t> coords(dims.size(), 0);
  std::vector<std::uint8_t> expected(index.chunk_bytes_), scratch;
  H5Handle mem_type(H5Tcopy(type.get()), H5Tclose);
  for (std::int64_t i : {std::int64_t{0}, samples - 1}) {
    if (i < 0) continue;
    coords[0] = static_cast<hsize_t>(i);
    unsigned mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t size = 0;
    const ChunkLocation& c = index.chunks_[static_cast<std::size_t>(i)];
    if (H5Dget_chunk_info_by_coord(dataset, coords.data(), &mask, &address, &size) < 0 ||
        address != c.offset || size != c.size || mask != c.filter_mask)
      damaged_index(path, name, "sample " + std::to_string(i) + " is not where HDF5 has its chunk");
    H5Handle space(H5Dget_space(dataset), H5Sclose);
    std::vector<hsize_t> count(dims);
    count[0] = 1;
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, coords.data(), nullptr, count.data(), nullptr);
    H5Handle memory(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                    H5Sclose);
    if (H5Dread(dataset, mem_type.get(), memory.get(), space.get(), H5P_DEFAULT, expected.data()) <
            0 ||
        std::memcmp(index.bytes(i, scratch), expected.data(), expected.size()) != 0)
      damaged_index(path, name,
                    "sample " + std::to_string(i) + " decodes to other bytes than HDF5 reads");
  }
  // No two samples share bytes: by offset, each chunk ends where or before the next begins.
  std::vector<std::size_t> order(index.chunks_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return index.chunks_[a].offset < index.chunks_[b].offset;
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const ChunkLocation& before = index.chunks_[order[k - 1]];
    if (before.offset + before.size > index.chunks_[order[k]].offset)
      damaged_index(path, name,
                    "sample " + std::to_string(order[k - 1]) + "'s chunk overlaps sample " +
                        std::to_string(order[k]) + "'s");
  }
  found.index = std::move(index);
  return found;
}

void ChunkIndex::check_chunk(std::int64_t i) const {
  const ChunkLocation& c = chunks_[static_cast<std::size_t>(i)];
  const std::string sample = "sample " + std::to_string(i) + "'s chunk, " + std::to_string(c.size) +
                             " bytes at byte " + std::to_string(c.offset);
  if (filters_.size() < 32 && (c.filter_mask >> filters_.size()) != 0)
    damaged_index(path_, name_,
                  sample + ", skips filter mask " + std::to_string(c.filter_mask) +
                      " but the dataset has " + std::to_string(filters_.size()) + " filter(s)");
  bool deflated = false;
  for (std::size_t k = 0; k < filters_.size(); ++k)
    deflated |= filters_[k] == Filter::kDeflate && !(c.filter_mask & (1u << k));
  // Unfiltered (or shuffled only): exactly one sample's bytes. Deflated: at most zlib's bound.
  if (!deflated && c.size != chunk_bytes_)
    damaged_index(path_, name_,
                  sample + ", is not one sample of " + std::to_string(chunk_bytes_) + " bytes");
  if (deflated && c.size > compressBound(static_cast<uLong>(chunk_bytes_)))
    damaged_index(
        path_, name_,
        sample + ", is larger than " + std::to_string(chunk_bytes_) + " bytes compressed can be");
  if (c.size == 0 || c.offset > image_size_ || c.size > image_size_ - c.offset)
    damaged_index(path_, name_,
                  sample + ", lies outside the file's " + std::to_string(image_size_) + " bytes");
}

const std::uint8_t* ChunkIndex::bytes(std::int64_t i, std::vector<std::uint8_t>& scratch) const {
  GALIEN_CHECK(i >= 0 && static_cast<std::size_t>(i) < chunks_.size(),
               "sample " << i << " of " << chunks_.size());
  const ChunkLocation& c = chunks_[static_cast<std::size_t>(i)];
  // The filters to undo, last applied first; a shuffle of 1-byte elements changes nothing.
  Filter steps[32];
  std::size_t m = 0;
  for (std::size_t k = filters_.size(); k-- > 0 && m < 32;) {
    if (c.filter_mask & (1u << k)) continue;
    if (filters_[k] == Filter::kShuffle && element_size_ == 1) continue;
    steps[m++] = filters_[k];
  }
  const std::uint8_t* data = image_ + c.offset;
  if (m == 0) return data;  // the stored bytes are the sample: read in place
  // Step s writes buffers[(m - 1 - s) % 2], so the last one writes `scratch` and no step reads
  // the buffer it writes.
  thread_local std::vector<std::uint8_t> stage;
  scratch.resize(chunk_bytes_);
  if (m > 1) stage.resize(chunk_bytes_);
  std::uint8_t* buffers[2] = {scratch.data(), stage.data()};
  std::size_t size = c.size;
  for (std::size_t s = 0; s < m; ++s) {
    std::uint8_t* out = buffers[(m - 1 - s) % 2];
    if (steps[s] == Filter::kDeflate) {
      if (!inflate_exact(data, size, out, chunk_bytes_))
        damaged_index(path_, name_,
                      "sample " + std::to_string(i) + "'s chunk does not inflate to " +
                          std::to_string(chunk_bytes_) + " bytes");
    } else {
      if (size != chunk_bytes_)
        damaged_index(path_, name_,
                      "sample " + std::to_string(i) + "'s shuffled chunk is not " +
                          std::to_string(chunk_bytes_) + " bytes");
      unshuffle(data, size, element_size_, out);
    }
    data = out;
    size = chunk_bytes_;
  }
  return data;
}

void ChunkIndex::prefetch(std::int64_t i) const {
  if (i < 0 || static_cast<std::size_t>(i) >= chunks_.size()) return;
  const ChunkLocation& c = chunks_[static_cast<std::size_t>(i)];
  const std::uint8_t* data = image_ + c.offset;
  const std::size_t bytes = std::min<std::uint64_t>(c.size, 8192);
  for (std::size_t at = 0; at < bytes; at += 64) __builtin_prefetch(data + at);
}

}  // namespace galien
