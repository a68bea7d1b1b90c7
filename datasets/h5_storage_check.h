// Before HDF5 reads a dataset of a shard: the dataset's stored bytes lie inside the file and
// are as many as its shape and element type say.
//
// Why: HDF5 1.10.8 takes a chunk's stored size from the file and, for a chunk stored without
// filters, reads a buffer of that size as if it held the whole chunk. A chunk recorded as
// 2,640 bytes under a 772-byte float type (chunk 66 x 10: 509,520 bytes) made H5Dread read far
// past its buffer (SEGV in H5VM_memcpyvv, found by fuzz_shard; replayed by test_reliability from
// tests/fuzz/regressions/shard/chunk-smaller-than-type-segv.h5). Newer HDF5 checks this itself;
// galien checks it for every dataset it reads through HDF5, so such damage is a UserError naming
// the shard ("copy it again") instead of a crash. Addresses outside the file are refused by HDF5's
// own driver layer as well; they are checked here too, where it is cheap (see below).
//
// Cost (measured 2026-12-07 with HDF5 1.10.8 on an in-memory file, docs/RELIABILITY.md): HDF5
// 1.10 has no chunk iterator, and H5Dget_chunk_info walks the chunk B-tree from its start at
// every call, so looking up each chunk's record is quadratic in the chunk count: 0.06 ms for
// 98 chunks (/features of 100k rows in chunks of 1,024), 3.4 ms for 977
// (H5Dget_chunk_info_by_coord is no better: 36 us a chunk at 10,000 chunks). Above
// kMaxChunksLocated chunks only H5Dget_chunk_storage_size is asked (0.15 us a chunk, 1.6 ms for
// 10,000 one-sample /image chunks), and for an unfiltered chunk it answers with the size the
// shape gives, not the chunk's record: a shape or type claiming more bytes than the file is
// still refused, a record smaller than its shape is not (HDF5 then reads the recorded bytes and
// leaves the rest of its buffer uninitialised). What refuses that in a job: every shard is
// verified against the authenticated manifest's SHA-256 (or its AES-GCM tag) before HDF5 sees a
// byte (datasets/shard_store.h); this check is for what that cannot cover (a writer's bug, an
// HDF5 that misparses authentic bytes). Tests: FuzzRegressions in tests/unit/test_reliability.cpp.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace galien {

// Above this many allocated chunks, a chunked dataset's chunk records (address, recorded size,
// filter mask) are not looked up one by one; the size HDF5 will read for each chunk still is.
constexpr std::uint64_t kMaxChunksLocated = 256;

// UserError naming `path` and `name` (e.g. "/features") unless:
//  - contiguous: the block (if allocated) lies inside the file and holds exactly elements x
//    element size bytes;
//  - compact: the header holds exactly elements x element size bytes;
//  - chunked: every allocated chunk lies inside the file, and one stored without filters
//    holds exactly chunk shape x element size bytes (a filtered chunk: at most the file);
//    above kMaxChunksLocated chunks, see "Cost" above for what is left out.
// `file_bytes`: the size of the file (or file image) the dataset was opened from.
void check_dataset_storage(hid_t dataset, const char* name, std::uint64_t file_bytes,
                           const std::string& path);

// The size of the file (or file image) `object` belongs to. HDF5 refuses at open a file whose
// superblock claims more bytes than it has (a truncated copy), so this is its real size.
std::uint64_t hdf5_file_bytes(hid_t object);

}  // namespace galien
