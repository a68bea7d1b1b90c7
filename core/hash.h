// SHA-256 (OpenSSL EVP) over bytes and files, as lowercase hex. Used for shard checksums,
// config hashes and input-file provenance.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace galien {

std::string sha256_hex(std::string_view bytes);
std::string sha256_hex(const std::vector<std::uint8_t>& bytes);
// Streams the file; throws UserError naming the path when it cannot be read.
std::string sha256_file_hex(const std::string& path);
std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace galien
