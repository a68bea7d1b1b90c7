// Keyed pseudonyms: HMAC-SHA256(key, raw patient id) as 64 lowercase hex digits. The same raw id
// and key always give the same pseudonym (so tables join), and without the key a pseudonym
// cannot be linked back or recomputed from a guessed id.
#pragma once

#include <string>
#include <string_view>

#include "privacy/key_file.h"

namespace galien {

std::string hmac_sha256_hex(const std::uint8_t* key, std::size_t key_size,
                            std::string_view message);

class Pseudonymizer {
 public:
  explicit Pseudonymizer(const SecretKey& key) : key_(key) {}
  std::string operator()(std::string_view raw_id) const;

 private:
  SecretKey key_;
};

}  // namespace galien
