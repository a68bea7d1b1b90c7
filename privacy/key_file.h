// The data controller's secret: a 32-byte key file. galien never prints, logs or stores the key;
// outputs carry only its key id (a one-way fingerprint) so a reader can tell which key was used.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace galien {

struct SecretKey {
  std::array<std::uint8_t, 32> bytes{};
  // First 16 hex digits of HMAC-SHA256(key, "galien key id v1"): identifies the key, reveals
  // nothing.
  std::string key_id() const;
};

// Creates a new random key (OpenSSL RAND_bytes) with mode 0600. Refuses to overwrite.
void generate_key_file(const std::string& path);

// Refuses (UserError naming the path and what to do) a missing file, a size other than 32 bytes,
// or a mode readable/writable by group or others.
SecretKey load_key_file(const std::string& path);

}  // namespace galien
