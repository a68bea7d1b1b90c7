// The encrypted container of one shard (docs/FORMAT.md, "Encrypted shards"): the shard's HDF5
// file, built in memory, sealed with AES-256-GCM. All integers little-endian.
//
//   offset  size  field
//   0       8     magic "GALIENCR"
//   8       2     container version major (1)
//   10      2     container version minor (0)
//   12      12    nonce (random per write)
//   24      2     N = length of the shard's file name (1..255)
//   26      N     the shard's file name, e.g. "train-00000.h5.enc"
//   26+N    ...   ciphertext (exactly as long as the HDF5 file image)
//   end-16  16    GCM tag
//
// The header (bytes [0, 26+N)) is the associated data: authenticated, not encrypted. With the
// per-shard key (privacy/data_keys.h: dataset salt + file name), the tag covers every byte of
// the file, so any change, truncation, rename or swap fails as "authentication failed".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/shard.h"
#include "privacy/crypto.h"

namespace galien {

constexpr const char* kEncryptedShardSuffix = ".enc";
constexpr int kContainerMajor = 1;
constexpr int kContainerMinor = 0;

// A whole file read into an uninitialised buffer (no zero-filling pass).
struct FileBytes {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t size = 0;
};

// A shard's HDF5 file image held where the file was read, without a copy: `size` bytes at
// `data`, inside `bytes` (the whole file as read; for an encrypted shard, the plaintext
// decrypted in place after the container header). What ShardReader keeps.
struct ShardImageBytes {
  FileBytes bytes;
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

// Builds the shard's HDF5 file in memory, encrypts it under `key` and writes the container to
// `path` atomically (temporary file, fsync, rename). No plaintext byte reaches the disk. The
// file name of `path` is the one recorded (and authenticated) in the header.
void write_encrypted_shard(const std::string& path, const ShardData& shard, const Key256& key);

// What manifest.json says about a shard, used only to explain a failure (any may be empty).
struct ShardExpectation {
  std::string sha256;        // SHA-256 of the file on disk
  std::string data_key_id;   // the key id the shards were written with (manifest key_id)
  std::string given_key_id;  // the key id of the key file the reader holds
};

// Authenticates and decrypts the container `bytes` (the whole file as read) in place and reads
// the shard from there; `bytes` is overwritten (plaintext, or zeros on failure). UserError
// "shard PATH: authentication failed: ..." on any mismatch: wrong key, changed byte,
// truncation, or a header naming another file. With the manifest's SHA-256 in `expected`, the
// message says which of "wrong key" and "modified file" it is (re-reading the file to tell),
// and with both key ids, which key wrote the shards.
ShardData open_encrypted_shard(std::uint8_t* bytes, std::size_t size, const std::string& path,
                               const Key256& key, const ShardExpectation& expected = {});
// The authenticated, decrypted HDF5 file image of a container file (for ShardReader, which
// keeps the image to read pixels one sample at a time). Errors as open_encrypted_shard's.
std::vector<std::uint8_t> decrypt_shard_file(const std::string& path, const Key256& key,
                                             const ShardExpectation& expected = {});
// The same, decrypted in the buffer the file was read into (no copy of the plaintext).
ShardImageBytes decrypt_shard_file_in_place(const std::string& path, const Key256& key,
                                            const ShardExpectation& expected = {});
// Reads the file and opens it as above.
ShardData read_encrypted_shard(const std::string& path, const Key256& key);

// UserError naming the shard when the file is missing or unreadable.
FileBytes read_shard_bytes(const std::string& path);

}  // namespace galien
