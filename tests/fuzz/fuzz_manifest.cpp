// manifest.json parser + HMAC check (datasets/manifest.h), through load_manifest on a shard
// directory, as `galien verify` and every rank read it. Input: manifest.json's bytes, then
// optionally a NUL byte and manifest.json.hmac's bytes (then loaded with the data keys). When the
// sidecar part is exactly "SIGN", a valid sidecar is written for the manifest bytes, so the
// parser is fuzzed behind a passing authentication too.
#include <filesystem>

#include "datasets/manifest.h"
#include "nlohmann/json.hpp"
#include "privacy/crypto.h"
#include "privacy/data_keys.h"
#include "privacy/key_file.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

const galien::DataKeys& keys() {
  static const galien::DataKeys k = [] {
    galien::SecretKey secret;
    for (int i = 0; i < 32; ++i) secret.bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return galien::DataKeys(secret);
  }();
  return k;
}

// The identity load_manifest reads before authenticating (datasets/manifest.cpp identity_in):
// its dataset_salt (64 hex digits) and dataset_id choose the manifest key (format 1.4), so the
// sidecar is signed with the key the loader will use.
galien::DatasetIdentity identity_of(const std::string& text) {
  galien::DatasetIdentity dataset;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return dataset;
  const auto salt = j.find("dataset_salt");
  if (salt == j.end() || !salt->is_string()) return dataset;
  const std::string hex = salt->get<std::string>();
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return dataset;
  dataset.salt = galien::from_hex(hex);
  const auto id = j.find("dataset_id");
  if (id != j.end() && id->is_string()) dataset.id = id->get<std::string>();
  return dataset;
}

std::string valid_sidecar(const std::string& text) {
  auto mac = galien::hmac_sha256(keys().manifest_key(identity_of(text)),
                                 reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  static const char* hex = "0123456789abcdef";
  std::string mac_hex;
  for (std::uint8_t b : mac) mac_hex += {hex[b >> 4], hex[b & 15]};
  nlohmann::json j = {{"format", "galien-manifest-hmac"}, {"version", 1},
                      {"key_id", keys().key_id()},     {"hmac_sha256", mac_hex}};
  return j.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string manifest = input;
  std::string sidecar;
  bool keyed = false;
  if (std::size_t nul = input.find('\0'); nul != std::string::npos) {
    manifest = input.substr(0, nul);
    sidecar = input.substr(nul + 1);
    keyed = true;
    if (sidecar == "SIGN") sidecar = valid_sidecar(manifest);
  }
  const std::string dir = galien_fuzz::scratch_dir() + "/shards";
  galien_fuzz::write_scratch("shards/manifest.json",
                             reinterpret_cast<const std::uint8_t*>(manifest.data()),
                             manifest.size());
  const std::string hmac = dir + "/manifest.json.hmac";
  if (keyed) {
    galien_fuzz::write_scratch("shards/manifest.json.hmac",
                               reinterpret_cast<const std::uint8_t*>(sidecar.data()),
                               sidecar.size());
  } else {
    std::filesystem::remove(hmac);
  }
  galien_fuzz::expect_user_errors_only([&] {
    galien::Manifest m = galien::load_manifest(dir, keyed ? &keys() : nullptr);
    GALIEN_FUZZ_INVARIANT(m.authenticated == keyed);
    // verify_split joins each listed file name to the directory and hashes what is there.
    for (const auto& entry : m.splits) {
      const std::string& name = entry.first;
      galien_fuzz::expect_user_errors_only([&] { (void)galien::verify_split(dir, m, name); });
    }
  });
  return 0;
}
