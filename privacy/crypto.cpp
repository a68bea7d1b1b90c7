#include "privacy/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "core/error.h"

namespace galien {
namespace {

// EVP update calls take an int length: larger buffers go through in slices.
constexpr std::size_t kSlice = std::size_t{1} << 30;

struct KdfContext {
  KdfContext() {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    GALIEN_CHECK(kdf != nullptr, "OpenSSL has no HKDF");
    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);  // the context holds its own reference
    GALIEN_CHECK(ctx != nullptr, "EVP_KDF_CTX_new");
  }
  ~KdfContext() { EVP_KDF_CTX_free(ctx); }
  EVP_KDF_CTX* ctx;
};

struct CipherContext {
  CipherContext() : ctx(EVP_CIPHER_CTX_new()) { GALIEN_CHECK(ctx != nullptr, "EVP_CIPHER_CTX"); }
  ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
  EVP_CIPHER_CTX* ctx;
};

void start_gcm(EVP_CIPHER_CTX* ctx, bool encrypt, const Key256& key, const std::uint8_t* nonce) {
  GALIEN_CHECK(EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr,
                                 encrypt ? 1 : 0) == 1, "AES-256-GCM init");
  GALIEN_CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kGcmNonceSize, nullptr) == 1,
               "GCM nonce length");
  GALIEN_CHECK(EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), nonce, -1) == 1,
               "AES-256-GCM key");
}

// Feeds `size` bytes through the cipher; `out` null means additional authenticated data.
// Returns false only when OpenSSL refuses (never expected for GCM, whose output size equals its
// input size).
bool update(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::size_t size, std::uint8_t* out) {
  for (std::size_t done = 0; done < size;) {
    int slice = static_cast<int>(std::min(kSlice, size - done));
    int written = 0;
    if (EVP_CipherUpdate(ctx, out ? out + done : nullptr, &written, in + done, slice) != 1) {
      return false;
    }
    if (out && written != slice) return false;
    done += static_cast<std::size_t>(slice);
  }
  return true;
}

}  // namespace

Key256::Key256(const std::uint8_t* bytes) { std::memcpy(bytes_.data(), bytes, bytes_.size()); }

Key256& Key256::operator=(const Key256& other) {
  if (this != &other) bytes_ = other.bytes_;
  return *this;
}

Key256::~Key256() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Bytes hkdf_sha256(const std::uint8_t* ikm, std::size_t ikm_size, const std::uint8_t* salt,
                  std::size_t salt_size, std::string_view info, std::size_t length) {
  GALIEN_CHECK(length > 0 && length <= 255 * 32, "HKDF-SHA256 output length " << length);
  KdfContext kdf;
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                  const_cast<std::uint8_t*>(ikm), ikm_size);
  // No salt given = RFC 5869's default of HashLen zero bytes (HMAC pads short keys with zeros).
  if (salt_size > 0) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<std::uint8_t*>(salt), salt_size);
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                  const_cast<char*>(info.data()), info.size());
  params[n] = OSSL_PARAM_construct_end();
  Bytes out(length);
  GALIEN_CHECK(EVP_KDF_derive(kdf.ctx, out.data(), out.size(), params) == 1, "HKDF-SHA256");
  return out;
}

Key256 hkdf_key(const Key256& ikm, const Bytes& salt, std::string_view info) {
  Bytes out = hkdf_sha256(ikm.data(), ikm.size(), salt.data(), salt.size(), info, 32);
  Key256 key(out.data());
  OPENSSL_cleanse(out.data(), out.size());
  return key;
}

std::array<std::uint8_t, 32> hmac_sha256(const Key256& key, const std::uint8_t* data,
                                         std::size_t size) {
  std::array<std::uint8_t, 32> mac{};
  unsigned int length = 0;
  // HMAC() is OpenSSL 3's one-shot EVP_MAC wrapper; it takes a size_t length.
  const unsigned char* ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data,
                                 size, mac.data(), &length);
  GALIEN_CHECK(ok != nullptr && length == mac.size(), "HMAC-SHA256 failed");
  return mac;
}

bool equal_constant_time(const std::uint8_t* a, const std::uint8_t* b, std::size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

Bytes from_hex(std::string_view hex) {
  auto digit = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    GALIEN_CHECK(false, "not a hex digit");
    return 0;
  };
  GALIEN_CHECK(hex.size() % 2 == 0, "odd number of hex digits");
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(digit(hex[2 * i]) * 16 + digit(hex[2 * i + 1]));
  }
  return out;
}

void wipe(void* data, std::size_t size) { OPENSSL_cleanse(data, size); }

Bytes random_bytes(std::size_t size) {
  Bytes out(size);
  GALIEN_CHECK(size <= INT_MAX && RAND_bytes(out.data(), static_cast<int>(size)) == 1,
               "RAND_bytes could not produce " << size << " random bytes");
  return out;
}

void aes256gcm_encrypt(const Key256& key, const std::uint8_t* nonce, const std::uint8_t* aad,
                       std::size_t aad_size, const std::uint8_t* plaintext, std::size_t size,
                       std::uint8_t* ciphertext, std::uint8_t* tag) {
  GALIEN_CHECK(size <= kGcmMaxPlaintext,
               "AES-256-GCM plaintext of " << size << " bytes is over the limit");
  CipherContext cipher;
  start_gcm(cipher.ctx, true, key, nonce);
  GALIEN_CHECK(update(cipher.ctx, aad, aad_size, nullptr), "GCM associated data");
  GALIEN_CHECK(update(cipher.ctx, plaintext, size, ciphertext), "GCM encryption");
  int final_size = 0;
  GALIEN_CHECK(EVP_EncryptFinal_ex(cipher.ctx, ciphertext + size, &final_size) == 1 &&
                   final_size == 0, "GCM final");
  GALIEN_CHECK(EVP_CIPHER_CTX_ctrl(cipher.ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, tag) == 1,
               "GCM tag");
}

bool aes256gcm_decrypt(const Key256& key, const std::uint8_t* nonce, const std::uint8_t* aad,
                       std::size_t aad_size, const std::uint8_t* ciphertext, std::size_t size,
                       const std::uint8_t* tag, std::uint8_t* plaintext) {
  if (size > kGcmMaxPlaintext) return false;
  CipherContext cipher;
  start_gcm(cipher.ctx, false, key, nonce);
  // OpenSSL reads the expected tag through a non-const pointer but does not modify it.
  GALIEN_CHECK(EVP_CIPHER_CTX_ctrl(cipher.ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagSize,
                                   const_cast<std::uint8_t*>(tag)) == 1, "GCM tag");
  int final_size = 0;
  bool ok = update(cipher.ctx, aad, aad_size, nullptr) &&
            update(cipher.ctx, ciphertext, size, plaintext) &&
            EVP_DecryptFinal_ex(cipher.ctx, plaintext + size, &final_size) == 1;
  // Unauthenticated plaintext must never be used: leave nothing of it behind.
  if (!ok) OPENSSL_cleanse(plaintext, size);
  return ok;
}

}  // namespace galien
