// How a dataset's shards are stored, plain HDF5 or AES-256-GCM containers, as manifest.json
// says: the one place where writers (galien shard) and readers (RankShards, galien verify)
// choose, derive the per-shard key and decide what is verified (docs/FORMAT.md, "Integrity").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/encrypted_shard.h"
#include "datasets/manifest.h"
#include "datasets/shard.h"
#include "privacy/data_keys.h"

namespace galien {

// A fresh random dataset salt (privacy.encrypt): every `galien shard` run gets new shard keys.
EncryptionInfo new_encryption_info();

// "train-00000.h5", or "train-00000.h5.enc" when the manifest says the shards are encrypted.
std::string shard_file_name(const std::string& plain_name, const Manifest& manifest);

// Writes `shard` as `dir`/`file` in the manifest's storage and returns its manifest entry (SHA-256
// of the bytes on disk). Encrypted storage needs `keys`.
ShardEntry store_shard(const std::string& dir, const std::string& file, const ShardData& shard,
                       const Manifest& manifest, const DataKeys* keys);

// Reads one listed shard after verifying it, reading the file once:
//   plain:     SHA-256 of the bytes read == manifest entry ("authentication failed" wording
//              when the manifest was authenticated), then parsed from memory;
//   encrypted: needs `keys`; the AES-256-GCM tag authenticates every byte under the key of this
//              dataset and file name, then the HDF5 image is parsed in memory. (The SHA-256 is
//              only recomputed to explain a failure.)
// Then the sample count must equal the manifest's. Every error names the shard.
ShardData load_shard(const std::string& dir, const ShardEntry& entry, const Manifest& manifest,
                     const DataKeys* keys);

// The same checks as load_shard, but returns the verified (for an encrypted shard: decrypted)
// HDF5 file image instead of parsing it: for ShardReader(image, path), which reads image pixels
// one sample at a time from memory. The caller checks the sample count after opening it.
std::vector<std::uint8_t> load_shard_image(const std::string& dir, const ShardEntry& entry,
                                           const Manifest& manifest, const DataKeys* keys);
// The same, left in the buffer the file was read into (decrypted there): no copy of the shard,
// which for a 17 MB shard cost more than reading it (page faults on the copy's fresh pages).
ShardImageBytes load_verified_shard(const std::string& dir, const ShardEntry& entry,
                                    const Manifest& manifest, const DataKeys* keys);

// What a reader without the shard's contents can check: the file exists and its SHA-256 equals
// the manifest's (`galien verify` with no key).
void check_shard_file(const std::string& dir, const ShardEntry& entry, const Manifest& manifest);

// The shard is where the manifest says: what a rank checks of the shards other ranks read (each
// is verified by the rank that reads it, before it reads a byte; an error on any rank stops them
// all), so a job hashes each shard once per reader, not once per rank.
void check_shard_present(const std::string& dir, const ShardEntry& entry);

}  // namespace galien
