// The chunk index of shard format 1.4: where each sample's /image (and /mask) chunk lies in the
// shard file, recorded by `galien shard` as /image_chunks and /mask_chunks (uint64 [N, 3]: byte
// offset from the start of the file, stored size, HDF5 filter mask; docs/FORMAT.md, "Chunk
// index"). A reader that holds the verified (or decrypted) file image in memory then decodes a
// sample straight from its bytes: in place for unfiltered chunks, inflated (libdeflate or zlib)
// and unshuffled for gzip chunks, and no HDF5 call per sample. Why recorded and not
// looked up: HDF5 1.10 has no H5Dchunk_iter, and H5Dget_chunk_info_by_coord takes ~18 us per
// sample, more than reading the sample (docs/BENCHMARKS.md, "Data path").
//
// The index is the file's word, so it is checked before any byte is read through it: every
// chunk inside the file image, stored sizes consistent with the dtype and chunk shape and the
// filters, filter masks naming only the dataset's filters, and the first and last samples
// against HDF5's own chunk lookup and H5Dread. A bad index is a UserError naming the shard.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace galien {

struct ChunkLocation {
  std::uint64_t offset = 0;       // bytes from the start of the file
  std::uint64_t size = 0;         // stored bytes (after the filters)
  std::uint32_t filter_mask = 0;  // bit k set: filter k of the dataset's pipeline was skipped
};

// Writer: where HDF5 put the one-sample chunks 0..samples-1 of `dataset` (flushed first, so
// every chunk has its final address). GALIEN_CHECK on a chunk that is not allocated.
std::vector<ChunkLocation> locate_chunks(hid_t dataset, std::int64_t samples);
// The rows of the index dataset, [offset, size, filter mask] per sample.
std::vector<std::uint64_t> chunk_index_rows(const std::vector<ChunkLocation>& chunks);

struct ChunkIndexLookup;

// Reader: the validated index of one per-sample dataset (/image or /mask) of an in-memory shard.
// Immutable after construction; bytes() reads only the file image and may run on any thread.
class ChunkIndex {
 public:
  // Reads `index_name` (e.g. "/image_chunks") for `dataset` (`dataset_name`, elements of
  // `element_size` bytes) of `file`, an HDF5 file image of `image_size` bytes starting at
  // `image`. No index dataset: empty `index`, empty `unusable` (a shard written before 1.4).
  // A layout this decoder does not handle (a filter galien never writes, chunks of several
  // samples, another float16 layout): empty `index`, `unusable` says why. A damaged index:
  // UserError naming `path`.
  static ChunkIndexLookup read(hid_t file, hid_t dataset, const char* dataset_name,
                               const char* index_name, std::int64_t samples,
                               std::size_t element_size, const std::uint8_t* image,
                               std::size_t image_size, const std::string& path);

  std::size_t chunk_bytes() const { return chunk_bytes_; }  // one sample, decoded
  // Sample i's decoded bytes: a pointer into the file image when its chunk is stored
  // unfiltered, else inflated (and unshuffled) into `scratch`, which is resized. Valid while
  // the image and `scratch` are. UserError naming the shard when a chunk does not inflate to
  // chunk_bytes() (the index passed its checks but points at other bytes).
  const std::uint8_t* bytes(std::int64_t i, std::vector<std::uint8_t>& scratch) const;
  // Asks the CPU to start loading sample i's stored bytes (its first 8 KB) into cache: issued
  // one sample ahead by a gather, it hides the memory latency of a shuffled read order.
  void prefetch(std::int64_t i) const;

 private:
  enum class Filter { kShuffle, kDeflate };
  ChunkIndex() = default;
  void check_chunk(std::int64_t i) const;  // the structural checks of one row

  std::vector<ChunkLocation> chunks_;
  std::vector<Filter> filters_;  // the dataset's pipeline, in the order applied when writing
  const std::uint8_t* image_ = nullptr;
  std::size_t image_size_ = 0, chunk_bytes_ = 0, element_size_ = 1;
  std::string path_, name_;  // for messages: the shard, "/image_chunks"
};

// What ChunkIndex::read found.
struct ChunkIndexLookup {
  std::optional<ChunkIndex> index;  // empty: no index, or one this reader cannot use
  std::string unusable;             // why an existing index cannot be used ("" when none exists)
};

}  // namespace galien
