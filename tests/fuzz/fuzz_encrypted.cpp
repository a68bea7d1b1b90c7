// Encrypted shard container (datasets/encrypted_shard.h): header checks, AES-256-GCM
// authentication, then the decrypted HDF5 image. Even first byte: the rest is a container as
// found on disk, opened with a fixed key (header parsing and every authentication failure).
// Odd first byte: the rest is a plaintext HDF5 image, sealed here exactly as the writer does
// (header as associated data, random-free fixed nonce) so the fuzzer also reaches what happens
// after a successful authentication.
#include <cstring>
#include <vector>

#include "datasets/encrypted_shard.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

const galien::Key256& key() {
  static const galien::Key256 k = [] {
    std::uint8_t bytes[32];
    for (int i = 0; i < 32; ++i) bytes[i] = static_cast<std::uint8_t>(0xA5 ^ i);
    return galien::Key256(bytes);
  }();
  return k;
}

constexpr char kName[] = "train-00000.h5.enc";

std::vector<std::uint8_t> seal(const std::uint8_t* text, std::size_t size) {
  const std::size_t name_size = sizeof kName - 1;
  const std::size_t header = 26 + name_size;
  std::vector<std::uint8_t> out(header + size + galien::kGcmTagSize, 0);
  std::memcpy(out.data(), "GALIENCR", 8);
  out[8] = galien::kContainerMajor;
  out[10] = galien::kContainerMinor;
  for (int i = 0; i < 12; ++i) out[12 + i] = static_cast<std::uint8_t>(i);
  out[24] = static_cast<std::uint8_t>(name_size);
  std::memcpy(out.data() + 26, kName, name_size);
  galien::aes256gcm_encrypt(key(), out.data() + 12, out.data(), header, text, size,
                            out.data() + header, out.data() + header + size);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::vector<std::uint8_t> container =
      (data[0] & 1) ? seal(data + 1, size - 1) : std::vector<std::uint8_t>(data + 1, data + size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::ShardData s = galien::open_encrypted_shard(container.data(), container.size(),
                                                       "/nonexistent/train-00000.h5.enc", key());
    GALIEN_FUZZ_INVARIANT(s.pseudonyms.size() == static_cast<std::size_t>(s.num_samples()));
  });
  return 0;
}
