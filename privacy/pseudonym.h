// Keyed pseudonyms: HMAC-SHA256(key, raw patient id) as 64 lowercase hex digits. The same raw id
// and key always give the same pseudonym (so tables join), and without the key a pseudonym
// cannot be linked back or recomputed from a guessed id.
#pragma once

#include <functional>
#include <utility>

#include <string>
#include <string_view>

#include "privacy/key_file.h"

namespace galien {

std::string hmac_sha256_hex(const std::uint8_t* key, std::size_t key_size,
                            std::string_view message);

class Pseudonymizer {
 public:
  // Called with (raw id, pseudonym) for every id pseudonymised. Only `galien relink` sets one,
  // on the data controller's side, to join pseudonyms back to the source IDs.
  using Observer = std::function<void(std::string_view raw_id, const std::string& pseudonym)>;

  explicit Pseudonymizer(const SecretKey& key, Observer observer = nullptr)
      : key_(key), observer_(std::move(observer)) {}
  std::string operator()(std::string_view raw_id) const;

 private:
  SecretKey key_;
  Observer observer_;
};

}  // namespace galien
