#include "datasets/encrypted_shard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "privacy/data_keys.h"

namespace galien {
namespace {

constexpr char kMagic[8] = {'G', 'A', 'L', 'I', 'E', 'N', 'C', 'R'};
constexpr std::size_t kNonceOffset = 12;
constexpr std::size_t kNameLengthOffset = kNonceOffset + kGcmNonceSize;  // 24
constexpr std::size_t kNameOffset = kNameLengthOffset + 2;               // 26
constexpr std::size_t kMaxName = 255;

void put_u16(std::uint8_t* out, std::size_t value) {
  out[0] = static_cast<std::uint8_t>(value & 0xFF);
  out[1] = static_cast<std::uint8_t>(value >> 8);
}

std::size_t get_u16(const std::uint8_t* in) {
  return std::size_t{in[0]} | (std::size_t{in[1]} << 8);
}

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// Everything before the ciphertext; it is the GCM associated data.
std::string make_header(const std::string& name, const Bytes& nonce) {
  GALIEN_CHECK(!name.empty() && name.size() <= kMaxName, "shard file name length " << name.size());
  std::string header(kNameOffset + name.size(), '\0');
  auto* out = reinterpret_cast<std::uint8_t*>(header.data());
  std::memcpy(out, kMagic, sizeof kMagic);
  put_u16(out + 8, kContainerMajor);
  put_u16(out + 10, kContainerMinor);
  std::memcpy(out + kNonceOffset, nonce.data(), kGcmNonceSize);
  put_u16(out + kNameLengthOffset, name.size());
  std::memcpy(out + kNameOffset, name.data(), name.size());
  return header;
}

[[noreturn]] void authentication_failed(const std::string& path, const std::string& reason,
                                        const std::string& cause) {
  GALIEN_USER_ERROR("shard " << path << ": authentication failed: " << reason << "; " << cause);
}

// What the manifest's SHA-256 (over the bytes on disk) and key ids say about a failure,
// computed only once something has failed.
std::string likely_cause(bool sha256_matches, const ShardExpectation& expected) {
  if (expected.sha256.empty()) {
    return "either the key is not the one that wrote it (check privacy.key_file, or --key of "
           "galien verify) or the file was modified or damaged (copy it again from the data "
           "controller)";
  }
  if (!sha256_matches) {
    return "its SHA-256 differs from manifest.json's, so this file was modified or damaged "
           "after `galien shard` wrote it: copy it again from the data controller, or re-run "
           "`galien shard`";
  }
  std::string cause = "the file is the one `galien shard` wrote, so the key is not the one that "
                      "wrote it: ";
  if (!expected.data_key_id.empty() && !expected.given_key_id.empty() &&
      expected.data_key_id != expected.given_key_id) {
    return cause + wrong_key_advice(expected.data_key_id, expected.given_key_id);
  }
  return cause + "use the data controller's key for this dataset (privacy.key_file, or --key "
                 "of galien verify)";
}

std::string likely_cause(const std::uint8_t* bytes, std::size_t size,
                         const ShardExpectation& expected) {
  if (expected.sha256.empty()) return likely_cause(false, expected);
  return likely_cause(
      sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes), size)) == expected.sha256,
      expected);
}

std::string likely_cause_from_file(const std::string& path, const ShardExpectation& expected) {
  return likely_cause(expected.sha256 == sha256_file_hex(path), expected);
}

// Checks everything that can be checked before the tag. Returns why the header is not acceptable
// ("" when it is) and sets `header_size`.
std::string header_problem(const std::uint8_t* bytes, std::size_t size, const std::string& path,
                           std::size_t& header_size) {
  if (size < kNameOffset + kGcmTagSize || std::memcmp(bytes, kMagic, sizeof kMagic) != 0) {
    return "it is not a galien encrypted shard (no GALIENCR header)";
  }
  std::size_t major = get_u16(bytes + 8);
  if (major > static_cast<std::size_t>(kContainerMajor)) {
    return "its container version " + std::to_string(major) + "." +
           std::to_string(get_u16(bytes + 10)) +
           " is newer than this galien reads (1.x; if the file is genuine, use a newer galien)";
  }
  std::size_t name_size = get_u16(bytes + kNameLengthOffset);
  header_size = kNameOffset + name_size;
  if (name_size == 0 || name_size > kMaxName || header_size + kGcmTagSize > size) {
    return "its header is inconsistent";
  }
  std::string name(reinterpret_cast<const char*>(bytes + kNameOffset), name_size);
  // The name found is not echoed: it is unauthenticated input.
  if (name != file_name(path)) return "its header names another shard file (renamed or swapped)";
  return "";
}

}  // namespace

void write_encrypted_shard(const std::string& path, const ShardData& shard, const Key256& key) {
  const std::string name = file_name(path);
  // The HDF5 file exists only in this buffer; it is wiped once sealed.
  std::vector<std::uint8_t> image = shard_file_image(shard, path);
  if (image.size() > kGcmMaxPlaintext) {
    GALIEN_USER_ERROR("shard " << path << " would hold " << image.size() << " bytes, more than "
                               << "AES-256-GCM allows under one key (64 GiB): raise data.shards");
  }
  const std::string header = make_header(name, random_bytes(kGcmNonceSize));
  std::string container(header.size() + image.size() + kGcmTagSize, '\0');
  std::memcpy(container.data(), header.data(), header.size());
  auto* out = reinterpret_cast<std::uint8_t*>(container.data());
  aes256gcm_encrypt(key, out + kNonceOffset, out, header.size(), image.data(), image.size(),
                    out + header.size(), out + header.size() + image.size());
  wipe(image.data(), image.size());
  write_file_atomic(path, container);
}

namespace {

// Authenticates and decrypts the container in place; returns where the plaintext HDF5 image is.
std::pair<std::uint8_t*, std::size_t> decrypt_in_place(std::uint8_t* bytes, std::size_t size,
                                                       const std::string& path, const Key256& key,
                                                       const ShardExpectation& expected) {
  // The likely cause is worked out only on failure: hashing costs as much as decrypting.
  std::size_t header_size = 0;
  std::string problem = header_problem(bytes, size, path, header_size);
  if (!problem.empty()) {
    authentication_failed(path, problem, likely_cause(bytes, size, expected));
  }
  // Decrypted in place: no second buffer, one pass less over memory.
  std::uint8_t* text = bytes + header_size;
  const std::size_t text_size = size - header_size - kGcmTagSize;
  if (!aes256gcm_decrypt(key, bytes + kNonceOffset, bytes, header_size, text, text_size,
                         bytes + size - kGcmTagSize, text)) {
    // The buffer was wiped; the file on disk still tells a modified file from a wrong key.
    std::string cause = likely_cause(nullptr, 0, ShardExpectation{});
    if (!expected.sha256.empty() && std::filesystem::is_regular_file(path)) {
      cause = likely_cause_from_file(path, expected);
    }
    authentication_failed(path, "the AES-256-GCM tag does not match", cause);
  }
  // Authenticated: the bytes are exactly what `galien shard` encrypted for this file name.
  return {text, text_size};
}

}  // namespace

ShardData open_encrypted_shard(std::uint8_t* bytes, std::size_t size, const std::string& path,
                               const Key256& key, const ShardExpectation& expected) {
  auto [text, text_size] = decrypt_in_place(bytes, size, path, key, expected);
  return read_shard_image(text, text_size, path);
}

std::vector<std::uint8_t> decrypt_shard_file(const std::string& path, const Key256& key,
                                             const ShardExpectation& expected) {
  ShardImageBytes image = decrypt_shard_file_in_place(path, key, expected);
  return std::vector<std::uint8_t>(image.data, image.data + image.size);
}

ShardImageBytes decrypt_shard_file_in_place(const std::string& path, const Key256& key,
                                            const ShardExpectation& expected) {
  ShardImageBytes image;
  image.bytes = read_shard_bytes(path);
  auto [text, text_size] =
      decrypt_in_place(image.bytes.data.get(), image.bytes.size, path, key, expected);
  image.data = text;
  image.size = text_size;
  return image;
}

ShardData read_encrypted_shard(const std::string& path, const Key256& key) {
  FileBytes file = read_shard_bytes(path);
  return open_encrypted_shard(file.data.get(), file.size, path, key);
}

FileBytes read_shard_bytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    GALIEN_USER_ERROR("shard " << path << " cannot be read (" << std::strerror(errno)
                               << "): copy the whole shard directory again");
  }
  struct stat st {};
  FileBytes file;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (ok) {
    file.size = static_cast<std::size_t>(st.st_size);
    file.data.reset(new std::uint8_t[file.size == 0 ? 1 : file.size]);
  }
  for (std::size_t done = 0; ok && done < file.size;) {
    ssize_t n = ::read(fd, file.data.get() + done, file.size - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;  // 0 here: the file shrank while being read
    if (ok) done += static_cast<std::size_t>(n);
  }
  int err = errno;
  ::close(fd);
  if (!ok) {
    GALIEN_USER_ERROR("shard " << path << " cannot be read completely (" << std::strerror(err)
                               << "): copy the whole shard directory again");
  }
  return file;
}

}  // namespace galien
