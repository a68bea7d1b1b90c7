#include "core/hash.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "core/error.h"

namespace galien {
namespace {

struct DigestContext {
  DigestContext() : ctx(EVP_MD_CTX_new()) {
    GALIEN_CHECK(ctx != nullptr, "EVP_MD_CTX_new");
    GALIEN_CHECK(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex");
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
  void update(const void* data, std::size_t size) {
    GALIEN_CHECK(EVP_DigestUpdate(ctx, data, size) == 1, "EVP_DigestUpdate");
  }
  std::string final_hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    GALIEN_CHECK(EVP_DigestFinal_ex(ctx, digest.data(), &length) == 1, "EVP_DigestFinal_ex");
    return to_hex(digest.data(), length);
  }
  EVP_MD_CTX* ctx;
};

}  // namespace

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  DigestContext digest;
  digest.update(bytes.data(), bytes.size());
  return digest.final_hex();
}

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  DigestContext digest;
  digest.update(bytes.data(), bytes.size());
  return digest.final_hex();
}

std::string sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) GALIEN_USER_ERROR("cannot read " << path << ": " << std::strerror(errno));
  DigestContext digest;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    digest.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  return digest.final_hex();
}

}  // namespace galien
