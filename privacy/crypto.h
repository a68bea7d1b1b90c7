// Cryptographic building blocks over OpenSSL 3 EVP: HKDF-SHA256 (RFC 5869), HMAC-SHA256,
// AES-256-GCM, random bytes, constant-time comparison. Nothing here knows about shards or
// manifests: privacy/data_keys.h derives galien's keys, datasets/ uses them.
//
// Key material lives in Key256, which wipes itself when destroyed. No function here logs, and no
// error message carries a key, a plaintext or a tag.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace galien {

using Bytes = std::vector<std::uint8_t>;

// 32 bytes of secret key material, wiped (OPENSSL_cleanse) on destruction and reassignment.
class Key256 {
 public:
  Key256() = default;
  explicit Key256(const std::uint8_t* bytes);
  Key256(const Key256& other) { *this = other; }
  Key256& operator=(const Key256& other);
  ~Key256();

  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }
  static constexpr std::size_t size() { return 32; }

 private:
  std::array<std::uint8_t, 32> bytes_{};
};

// RFC 5869 with SHA-256: extract (salt may be empty = 32 zero bytes) then expand to `length`
// bytes (at most 255 * 32).
Bytes hkdf_sha256(const std::uint8_t* ikm, std::size_t ikm_size, const std::uint8_t* salt,
                  std::size_t salt_size, std::string_view info, std::size_t length);
// The common case: a 32-byte key from a 32-byte key.
Key256 hkdf_key(const Key256& ikm, const Bytes& salt, std::string_view info);

std::array<std::uint8_t, 32> hmac_sha256(const Key256& key, const std::uint8_t* data,
                                         std::size_t size);

// Constant time in `size`: comparing a received tag or MAC must not reveal where it differs.
bool equal_constant_time(const std::uint8_t* a, const std::uint8_t* b, std::size_t size);

Bytes random_bytes(std::size_t size);  // OpenSSL RAND_bytes (CSPRNG)
// Lowercase or uppercase hex to bytes; GALIEN_CHECK on anything else (callers validate first).
Bytes from_hex(std::string_view hex);
// Overwrites memory holding plaintext or keys in a way the compiler cannot drop.
void wipe(void* data, std::size_t size);

constexpr std::size_t kGcmNonceSize = 12;
constexpr std::size_t kGcmTagSize = 16;
// NIST SP 800-38D limit for one (key, nonce): 2^39 - 256 bits of plaintext.
constexpr std::uint64_t kGcmMaxPlaintext = (std::uint64_t{1} << 36) - 32;

// AES-256-GCM encryption of `plaintext` (`size` bytes) into `ciphertext` (same size, caller's
// buffer) and `tag`. `aad` is authenticated, not encrypted.
void aes256gcm_encrypt(const Key256& key, const std::uint8_t* nonce, const std::uint8_t* aad,
                       std::size_t aad_size, const std::uint8_t* plaintext, std::size_t size,
                       std::uint8_t* ciphertext, std::uint8_t* tag);
// Decrypts into `plaintext` (caller's buffer of `size` bytes) and returns false, with `plaintext`
// zeroed, when the tag does not authenticate (wrong key, nonce, aad, ciphertext or tag). Callers
// must not use `plaintext` unless this returns true.
[[nodiscard]] bool aes256gcm_decrypt(const Key256& key, const std::uint8_t* nonce,
                                     const std::uint8_t* aad, std::size_t aad_size,
                                     const std::uint8_t* ciphertext, std::size_t size,
                                     const std::uint8_t* tag, std::uint8_t* plaintext);

}  // namespace galien
