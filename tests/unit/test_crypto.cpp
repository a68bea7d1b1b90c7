// privacy/crypto and privacy/data_keys: published test vectors, then the properties galien
// relies on (tampering detected, keys separated by purpose, dataset and file).
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/hash.h"
#include "privacy/crypto.h"
#include "privacy/data_keys.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

std::string hex(const Bytes& bytes) { return to_hex(bytes.data(), bytes.size()); }
template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& bytes) {
  return to_hex(bytes.data(), bytes.size());
}
std::string hex(const Key256& key) { return to_hex(key.data(), key.size()); }

Key256 key_of(const std::string& hex_text) { return Key256(from_hex(hex_text).data()); }

// RFC 5869, appendix A.1 (test case 1): HKDF-SHA256 with salt and info.
TEST(Hkdf, Rfc5869TestCase1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = from_hex("000102030405060708090a0b0c");
  Bytes info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  Bytes okm = hkdf_sha256(ikm.data(), ikm.size(), salt.data(), salt.size(),
                          std::string_view(reinterpret_cast<const char*>(info.data()), info.size()),
                          42);
  EXPECT_EQ(hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

// RFC 5869, appendix A.3 (test case 3): no salt, no info, the path galien's unsalted keys take.
TEST(Hkdf, Rfc5869TestCase3EmptySaltAndInfo) {
  Bytes ikm(22, 0x0b);
  Bytes okm = hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, "", 42);
  EXPECT_EQ(hex(okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, RefusesImpossibleLengths) {
  Bytes ikm(32, 1);
  EXPECT_THROW(hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, "x", 0), InternalError);
  EXPECT_THROW(hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, "x", 255 * 32 + 1), InternalError);
}

// The value was computed with Python's hmac module, an implementation independent of OpenSSL's.
TEST(Hmac, MatchesAnIndependentImplementation) {
  Bytes key_bytes(32);
  for (std::size_t i = 0; i < key_bytes.size(); ++i) key_bytes[i] = static_cast<std::uint8_t>(i);
  const std::string message = "galien manifest test";
  auto mac = hmac_sha256(Key256(key_bytes.data()),
                         reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
  EXPECT_EQ(hex(mac), "4937c43b870c4ea68c934c02d761638a82f4b17c48432716154650699db863fc");
  EXPECT_EQ(hex(mac), hmac_sha256_hex(key_bytes.data(), key_bytes.size(), message));
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test case 16: AES-256, 96-bit
// IV, 60-byte plaintext (not a multiple of the block), 20 bytes of associated data.
struct GcmCase16 {
  Key256 key = key_of("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  Bytes plaintext = from_hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  Bytes aad = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  Bytes nonce = from_hex("cafebabefacedbaddecaf888");
  std::string ciphertext =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
  std::string tag = "76fc6ece0f4e1768cddf8853bb2d551b";
};

TEST(AesGcm, McGrewViegaTestCase16Encrypts) {
  GcmCase16 v;
  Bytes out(v.plaintext.size()), tag(kGcmTagSize);
  aes256gcm_encrypt(v.key, v.nonce.data(), v.aad.data(), v.aad.size(), v.plaintext.data(),
                    v.plaintext.size(), out.data(), tag.data());
  EXPECT_EQ(hex(out), v.ciphertext);
  EXPECT_EQ(hex(tag), v.tag);
}

TEST(AesGcm, McGrewViegaTestCase16Decrypts) {
  GcmCase16 v;
  Bytes ciphertext = from_hex(v.ciphertext), tag = from_hex(v.tag), out(ciphertext.size());
  ASSERT_TRUE(aes256gcm_decrypt(v.key, v.nonce.data(), v.aad.data(), v.aad.size(),
                                ciphertext.data(), ciphertext.size(), tag.data(), out.data()));
  EXPECT_EQ(out, v.plaintext);
}

// Every input the tag covers: one flipped bit anywhere is refused and no plaintext is left.
TEST(AesGcm, AnyChangeIsRefusedAndLeavesNoPlaintext) {
  GcmCase16 v;
  const Bytes ciphertext = from_hex(v.ciphertext), tag = from_hex(v.tag);
  auto opens = [&](Key256 key, Bytes nonce, Bytes aad, Bytes text, Bytes t) {
    Bytes out(text.size(), 0xAA);
    bool ok = aes256gcm_decrypt(key, nonce.data(), aad.data(), aad.size(), text.data(),
                                text.size(), t.data(), out.data());
    if (!ok) EXPECT_EQ(out, Bytes(text.size(), 0));
    return ok;
  };
  ASSERT_TRUE(opens(v.key, v.nonce, v.aad, ciphertext, tag));
  Key256 other_key = v.key;
  other_key.data()[31] ^= 1;
  EXPECT_FALSE(opens(other_key, v.nonce, v.aad, ciphertext, tag));
  for (std::size_t i = 0; i < ciphertext.size(); i += 7) {
    Bytes changed = ciphertext;
    changed[i] ^= 0x01;
    EXPECT_FALSE(opens(v.key, v.nonce, v.aad, changed, tag)) << "ciphertext byte " << i;
  }
  Bytes nonce = v.nonce, aad = v.aad, bad_tag = tag;
  nonce[0] ^= 0x80;
  aad[19] ^= 0x01;
  bad_tag[15] ^= 0x01;
  EXPECT_FALSE(opens(v.key, nonce, v.aad, ciphertext, tag));
  EXPECT_FALSE(opens(v.key, v.nonce, aad, ciphertext, tag));
  EXPECT_FALSE(opens(v.key, v.nonce, v.aad, ciphertext, bad_tag));
  Bytes shorter(ciphertext.begin(), ciphertext.end() - 1);
  EXPECT_FALSE(opens(v.key, v.nonce, v.aad, shorter, tag));
}

TEST(AesGcm, EmptyPlaintextStillAuthenticates) {
  Key256 key = key_of(std::string(64, '0'));
  Bytes nonce(kGcmNonceSize, 0), tag(kGcmTagSize);
  aes256gcm_encrypt(key, nonce.data(), nullptr, 0, nullptr, 0, nullptr, tag.data());
  // McGrew & Viega test case 13: AES-256, zero key and IV, nothing else.
  EXPECT_EQ(hex(tag), "530f8afbc74536b9a963b4f1c4cb738b");
  std::uint8_t out = 0;
  EXPECT_TRUE(aes256gcm_decrypt(key, nonce.data(), nullptr, 0, nullptr, 0, tag.data(), &out));
  tag[0] ^= 1;
  EXPECT_FALSE(aes256gcm_decrypt(key, nonce.data(), nullptr, 0, nullptr, 0, tag.data(), &out));
}

TEST(Crypto, HexRandomAndConstantTimeCompare) {
  EXPECT_EQ(from_hex("00ffA0"), (Bytes{0x00, 0xff, 0xa0}));
  EXPECT_THROW(from_hex("0"), InternalError);
  EXPECT_THROW(from_hex("zz"), InternalError);
  Bytes a = random_bytes(32), b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);  // 2^-256 chance of a false failure
  EXPECT_TRUE(equal_constant_time(a.data(), a.data(), a.size()));
  EXPECT_FALSE(equal_constant_time(a.data(), b.data(), a.size()));
}

SecretKey controller_key(std::uint8_t fill) {
  SecretKey key;
  key.bytes.fill(fill);
  return key;
}

// A format <= 1.3 dataset (no dataset identity) and a 1.4 one.
const DatasetIdentity kLegacy{};
DatasetIdentity identity(std::uint8_t fill) {
  DatasetIdentity dataset;
  dataset.salt = Bytes(32, fill);
  dataset.id = dataset_id_of(dataset.salt);
  return dataset;
}

TEST(DataKeys, OnePurposePerKeyAndStableAcrossRuns) {
  DataKeys keys(controller_key(7));
  Bytes salt_a(32, 1), salt_b(32, 2);
  for (const DatasetIdentity& dataset : {kLegacy, identity(5)}) {
    std::string manifest_key = hex(keys.manifest_key(dataset));
    std::string shard_a = hex(keys.shard_key(dataset, salt_a, "train-00000.h5.enc"));
    // Deterministic: a reader on another node derives the same keys.
    EXPECT_EQ(hex(DataKeys(controller_key(7)).shard_key(dataset, salt_a, "train-00000.h5.enc")),
              shard_a);
    EXPECT_EQ(hex(DataKeys(controller_key(7)).manifest_key(dataset)), manifest_key);
    // Separated by encryption salt, file name, purpose and controller key.
    EXPECT_NE(hex(keys.shard_key(dataset, salt_b, "train-00000.h5.enc")), shard_a);
    EXPECT_NE(hex(keys.shard_key(dataset, salt_a, "train-00001.h5.enc")), shard_a);
    EXPECT_NE(manifest_key, shard_a);
    EXPECT_NE(manifest_key, to_hex(controller_key(7).bytes.data(), 32));
    EXPECT_NE(hex(DataKeys(controller_key(8)).manifest_key(dataset)), manifest_key);
  }
  // Separated by dataset.
  EXPECT_NE(hex(keys.manifest_key(identity(5))), hex(keys.manifest_key(identity(6))));
  EXPECT_NE(hex(keys.manifest_key(identity(5))), hex(keys.manifest_key(kLegacy)));
  EXPECT_EQ(keys.key_id(), controller_key(7).key_id());
  EXPECT_EQ(keys.kind(), KeyKind::kController);
}

// The derivation chain of docs/FORMAT.md, recomputed step by step from the primitives.
TEST(DataKeys, FollowTheDocumentedDerivation) {
  SecretKey controller = controller_key(9);
  Bytes salt(32, 3);
  Key256 root = hkdf_key(Key256(controller.bytes.data()), {}, "galien data key v1");
  EXPECT_EQ(hex(DataKeys(controller).manifest_key(kLegacy)),
            hex(hkdf_key(root, {}, "galien manifest v1")));
  EXPECT_EQ(hex(DataKeys(controller).shard_key(kLegacy, salt, "val-00001.h5.enc")),
            hex(hkdf_key(root, salt, "galien shard v1:val-00001.h5.enc")));
  const DatasetIdentity dataset = identity(4);
  Key256 dataset_key = hkdf_key(root, dataset.salt, "galien dataset key v1");
  EXPECT_EQ(hex(DataKeys(controller).dataset_key(dataset)), hex(dataset_key));
  EXPECT_EQ(hex(DataKeys(controller).manifest_key(dataset)),
            hex(hkdf_key(dataset_key, {}, "galien manifest v1")));
  EXPECT_EQ(hex(DataKeys(controller).shard_key(dataset, salt, "val-00001.h5.enc")),
            hex(hkdf_key(dataset_key, salt, "galien shard v1:val-00001.h5.enc")));
  EXPECT_EQ(dataset.id, sha256_hex(std::string("galien dataset id v1") +
                                   std::string(dataset.salt.begin(), dataset.salt.end()))
                            .substr(0, 16));
}

// A data key derives exactly the controller's keys of its dataset, and none of another.
TEST(DataKeys, ADataKeyOpensItsDatasetOnly) {
  const SecretKey controller = controller_key(11);
  const DataKeys from_controller(controller);
  const DatasetIdentity mine = identity(1), other = identity(2);
  const DataKeyFile file{mine.id, controller.key_id(), from_controller.dataset_key(mine)};
  const DataKeys data(file);
  EXPECT_EQ(data.kind(), KeyKind::kData);
  EXPECT_EQ(data.key_id(), controller.key_id());  // manifests record the controller's key id
  EXPECT_NE(data.file_key_id(), controller.key_id());
  EXPECT_EQ(data.dataset_id(), mine.id);
  Bytes salt(32, 9);
  EXPECT_EQ(hex(data.manifest_key(mine)), hex(from_controller.manifest_key(mine)));
  EXPECT_EQ(hex(data.shard_key(mine, salt, "train-00000.h5.enc")),
            hex(from_controller.shard_key(mine, salt, "train-00000.h5.enc")));
  EXPECT_TRUE(data.opens(mine));
  EXPECT_FALSE(data.opens(other));
  EXPECT_FALSE(data.opens(kLegacy));
  EXPECT_THROW(data.manifest_key(other), UserError);
  EXPECT_THROW(data.shard_key(kLegacy, salt, "x"), UserError);
  EXPECT_TRUE(from_controller.opens(other));
}

}  // namespace
}  // namespace galien
