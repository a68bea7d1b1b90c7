#include "privacy/date_shift.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <string>

#include "core/error.h"

namespace galien {

DateShifter::DateShifter(const SecretKey& key, int max_days) : key_(key), max_days_(max_days) {
  GALIEN_CHECK(max_days >= 1, "date shift range must be at least one day, got " << max_days);
}

int DateShifter::offset_days(std::string_view pseudonym) const {
  // A domain label keeps this HMAC apart from the pseudonym and key-id HMACs of the same key.
  std::string message("galien date shift v1");
  message.push_back('\0');
  message.append(pseudonym);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key_.bytes.data(), static_cast<int>(key_.bytes.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
           &length);
  GALIEN_CHECK(ok != nullptr && length == 32, "HMAC-SHA256 failed");
  std::uint64_t draw = 0;
  for (int i = 0; i < 8; ++i) draw = (draw << 8) | digest[static_cast<std::size_t>(i)];
  // Modulo bias is below 2^-50 for any range up to 100 years: uniform for every practical purpose.
  const auto width = static_cast<std::uint64_t>(2 * max_days_ + 1);
  return static_cast<int>(draw % width) - max_days_;
}

}  // namespace galien
