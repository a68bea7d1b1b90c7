#include "privacy/pseudonym.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "core/error.h"
#include "core/hash.h"

namespace galien {

std::string hmac_sha256_hex(const std::uint8_t* key, std::size_t key_size,
                            std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // HMAC() is OpenSSL 3's one-shot EVP_MAC wrapper (not deprecated, unlike HMAC_CTX).
  const unsigned char* ok = HMAC(EVP_sha256(), key, static_cast<int>(key_size),
                                 reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size(), digest.data(), &length);
  GALIEN_CHECK(ok != nullptr && length == 32, "HMAC-SHA256 failed");
  return to_hex(digest.data(), length);
}

std::string Pseudonymizer::operator()(std::string_view raw_id) const {
  std::string pseudonym = hmac_sha256_hex(key_.bytes.data(), key_.bytes.size(), raw_id);
  if (observer_) observer_(raw_id, pseudonym);
  return pseudonym;
}

}  // namespace galien
