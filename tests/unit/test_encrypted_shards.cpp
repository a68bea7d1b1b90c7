// Encrypted shards and the authenticated manifest (docs/FORMAT.md): round trips, every way a
// container or a manifest can be wrong, and what a rank does with each.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "datasets/encrypted_shard.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_pipeline.h"
#include "datasets/shard_store.h"
#include "privacy/data_keys.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/encrypted/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

using test::user_error_of;


ShardData sample_shard() {
  ShardData shard;
  shard.split = "train";
  shard.shard_index = 0;
  shard.num_shards = 2;
  shard.num_features = 3;
  for (int i = 0; i < 50; ++i) {
    shard.pseudonyms.push_back(sha256_hex(std::string_view("patient " + std::to_string(i))));
    shard.labels.push_back(i % 2);
    for (int f = 0; f < 3; ++f) shard.features.push_back(0.25f * static_cast<float>(i * 3 + f));
  }
  return shard;
}

Key256 test_key(std::uint8_t fill) {
  Bytes bytes(32, fill);
  return Key256(bytes.data());
}

void flip_byte(const std::string& path, std::uintmax_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  file.get(c);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(c ^ 0x01));
}

std::string key_file(const std::string& dir, const std::string& name = "key.bin") {
  std::string path = dir + "/" + name;
  generate_key_file(path);
  return path;
}

Config wdbc_config(const std::string& dir, bool encrypt) {
  Config config;
  config.data.csv = std::string(GALIEN_SOURCE_DIR) + "/data/wdbc/breast_cancer_wdbc.csv";
  config.data.label_column = "target";
  config.data.classes = {"1", "0"};
  config.data.numeric = {"*"};
  config.data.shards = 2;
  config.data.shard_dir = dir + (encrypt ? "/encrypted" : "/plain");
  config.privacy.key_file = dir + "/key.bin";
  config.privacy.encrypt = encrypt;
  return config;
}

ShardResult quiet_shard(const Config& config) {
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));
  ShardResult result;
  try {
    result = run_shard(config, false);
  } catch (...) {
    spdlog::set_default_logger(previous);
    throw;
  }
  spdlog::set_default_logger(previous);
  return result;
}

// One encrypted and one plain WDBC shard directory made with the same key.
struct Datasets {
  std::string dir;
  DataKeys keys;
  ShardResult plain, encrypted;
};

Datasets wdbc_datasets(const std::string& name) {
  std::string dir = scratch(name);
  key_file(dir);
  DataKeys keys(load_key_file(dir + "/key.bin"));
  ShardResult plain = quiet_shard(wdbc_config(dir, false));
  ShardResult encrypted = quiet_shard(wdbc_config(dir, true));
  return {dir, keys, plain, encrypted};
}

// ---------------------------------------------------------------- one container

TEST(EncryptedShard, RoundTripIsExact) {
  std::string path = scratch("round_trip") + "/train-00000.h5.enc";
  ShardData written = sample_shard();
  write_encrypted_shard(path, written, test_key(1));
  ShardData read = read_encrypted_shard(path, test_key(1));
  EXPECT_EQ(read.split, "train");
  EXPECT_EQ(read.num_shards, 2);
  EXPECT_EQ(read.pseudonyms, written.pseudonyms);
  EXPECT_EQ(read.labels, written.labels);
  EXPECT_EQ(read.features, written.features);
}

TEST(EncryptedShard, NoPlaintextReachesTheDirectory) {
  std::string dir = scratch("no_plaintext");
  std::string path = dir + "/train-00000.h5.enc";
  // Every file created in the directory while writing, even one deleted before the end.
  int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(watch, 0);
  ASSERT_GE(inotify_add_watch(watch, dir.c_str(), IN_CREATE | IN_MOVED_TO), 0);
  ShardData shard = sample_shard();
  write_encrypted_shard(path, shard, test_key(1));
  std::set<std::string> created;
  alignas(inotify_event) char buffer[1 << 16];
  for (ssize_t n; (n = ::read(watch, buffer, sizeof buffer)) > 0;) {
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if (event->len > 0) created.insert(event->name);
      p += sizeof(inotify_event) + event->len;
    }
  }
  ::close(watch);
  // Only the atomic writer's temporary copy of the container, renamed into place.
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created.count("train-00000.h5.enc"), 1u);
  EXPECT_EQ(created.begin()->rfind(".train-00000.h5.enc.tmp-", 0), 0u) << *created.begin();
  std::vector<std::string> listing;
  for (const auto& entry : fs::directory_iterator(dir)) listing.push_back(entry.path().string());
  EXPECT_EQ(listing, std::vector<std::string>{path});
  // And the container holds no readable trace of the shard.
  std::string bytes = read_file(path);
  for (const std::string& plain : {std::string("\x89HDF"), std::string("galien-shard"),
                                   shard.pseudonyms[0], shard.pseudonyms[49]}) {
    EXPECT_EQ(bytes.find(plain), std::string::npos) << plain;
  }
  EXPECT_EQ(bytes.rfind("GALIENCR", 0), 0u);
}

TEST(EncryptedShard, TwoWritesDifferOnlyByNonceAndCiphertext) {
  std::string dir = scratch("nonce");
  make_directories(dir + "/a");
  make_directories(dir + "/b");
  write_encrypted_shard(dir + "/a/train-00000.h5.enc", sample_shard(), test_key(1));
  write_encrypted_shard(dir + "/b/train-00000.h5.enc", sample_shard(), test_key(1));
  std::string a = read_file(dir + "/a/train-00000.h5.enc");
  std::string b = read_file(dir + "/b/train-00000.h5.enc");
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.substr(0, 12), b.substr(0, 12));    // magic, version
  EXPECT_NE(a.substr(12, 12), b.substr(12, 12));  // fresh random nonce
  EXPECT_NE(a.substr(44), b.substr(44));
}

TEST(EncryptedShard, WrongKeyFailsNamingTheShard) {
  std::string path = scratch("wrong_key") + "/val-00001.h5.enc";
  write_encrypted_shard(path, sample_shard(), test_key(1));
  std::string message = user_error_of([&] { read_encrypted_shard(path, test_key(2)); });
  EXPECT_CONTAINS(message, "shard " + path + ": authentication failed");
  EXPECT_CONTAINS(message, "key");
}

// One flipped bit in each part of the file: header (magic, version, nonce, name length, name),
// ciphertext (start, middle, end) and tag.
TEST(EncryptedShard, AnyFlippedByteFailsNamingTheShard) {
  std::string dir = scratch("flips");
  std::string clean = dir + "/clean/test-00000.h5.enc";
  make_directories(dir + "/clean");
  write_encrypted_shard(clean, sample_shard(), test_key(1));
  const std::uintmax_t size = fs::file_size(clean);
  const std::uintmax_t header = 26 + std::strlen("test-00000.h5.enc");
  for (std::uintmax_t offset : {std::uintmax_t{0}, std::uintmax_t{8}, std::uintmax_t{12},
                                std::uintmax_t{23}, std::uintmax_t{24}, std::uintmax_t{30},
                                header, size / 2, size - 17, size - 16, size - 1}) {
    std::string path = dir + "/" + std::to_string(offset) + "/test-00000.h5.enc";
    make_directories(fs::path(path).parent_path().string());
    fs::copy_file(clean, path);
    flip_byte(path, offset);
    std::string message = user_error_of([&] { read_encrypted_shard(path, test_key(1)); });
    EXPECT_CONTAINS(message, "shard " + path + ": authentication failed");
  }
}

TEST(EncryptedShard, TruncatedRenamedOrPlainFilesFail) {
  std::string dir = scratch("shapes");
  std::string path = dir + "/train-00000.h5.enc";
  write_encrypted_shard(path, sample_shard(), test_key(1));
  std::string bytes = read_file(path);
  for (std::size_t keep : {std::size_t{0}, std::size_t{10}, std::size_t{40}, bytes.size() - 1}) {
    write_file_atomic(dir + "/train-00000.h5.enc", bytes.substr(0, keep));
    EXPECT_CONTAINS(user_error_of([&] { read_encrypted_shard(path, test_key(1)); }),
                    "authentication failed");
  }
  // A container moved to another shard's name: the header and the key both say otherwise.
  write_file_atomic(dir + "/train-00001.h5.enc", bytes);
  EXPECT_CONTAINS(user_error_of([&] { read_encrypted_shard(dir + "/train-00001.h5.enc",
                                                           test_key(1)); }),
                  "names another shard file");
  write_shard(dir + "/plain.h5.enc", sample_shard());
  EXPECT_CONTAINS(user_error_of([&] { read_encrypted_shard(dir + "/plain.h5.enc", test_key(1)); }),
                  "not a galien encrypted shard");
  EXPECT_CONTAINS(user_error_of([&] { read_encrypted_shard(dir + "/none.h5.enc", test_key(1)); }),
                  dir + "/none.h5.enc");
}

TEST(EncryptedShard, InMemoryImageReadsLikeTheFile) {
  std::string path = scratch("image") + "/train-00000.h5";
  write_shard(path, sample_shard());
  std::vector<std::uint8_t> image = shard_file_image(sample_shard(), "in-memory");
  ShardData from_image = read_shard_image(image.data(), image.size(), "in-memory");
  ShardData from_file = read_shard(path);
  EXPECT_EQ(from_image.features, from_file.features);
  EXPECT_EQ(from_image.pseudonyms, from_file.pseudonyms);
  EXPECT_FALSE(fs::exists("in-memory"));
}

// is_pseudonym is branch-free since the benchmark: every neighbour of the allowed ranges is
// still refused, by the plain and the encrypted writer alike.
TEST(EncryptedShard, WritersStillRefuseAnythingButLowercaseHexPseudonyms) {
  std::string dir = scratch("pseudonym_check");
  for (char bad : {'/', ':', '`', 'g', 'A', 'F', ' ', '\0', '\xe9'}) {
    ShardData shard = sample_shard();
    shard.pseudonyms[7][13] = bad;
    EXPECT_THROW(write_shard(dir + "/p.h5", shard), InternalError) << int(bad);
    EXPECT_THROW(write_encrypted_shard(dir + "/p.h5.enc", shard, test_key(1)), InternalError);
  }
  ShardData shard = sample_shard();
  shard.pseudonyms[7] = std::string(64, '0') + "0";
  EXPECT_THROW(write_shard(dir + "/p.h5", shard), InternalError);
  shard.pseudonyms[7] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_NO_THROW(write_shard(dir + "/p.h5", shard));
  EXPECT_FALSE(fs::exists(dir + "/p.h5.enc"));
}

// ---------------------------------------------------------------- manifest authentication

TEST(ManifestHmac, EditedManifestFailsAuthentication) {
  Datasets d = wdbc_datasets("manifest_edit");
  for (const ShardResult* result : {&d.plain, &d.encrypted}) {
    const std::string dir = result->shard_dir;
    Manifest good = load_manifest(dir, &d.keys);
    EXPECT_TRUE(good.authenticated);
    EXPECT_FALSE(load_manifest(dir).authenticated);
    std::string text = read_file(dir + "/manifest.json");
    std::string count = "\"num_samples\": " +
                        std::to_string(good.splits.at("train").shards[0].num_samples);
    ASSERT_NE(text.find(count), std::string::npos);
    std::string edited = text;
    edited.replace(edited.find(count), count.size(), "\"num_samples\": 1");
    write_file_atomic(dir + "/manifest.json", edited);
    std::string message = user_error_of([&] { load_manifest(dir, &d.keys); });
    EXPECT_CONTAINS(message, dir + "/manifest.json: authentication failed");
    EXPECT_CONTAINS(message, "modified");
    // Without a key only what SHA-256 can say is checked: the edit goes unnoticed there.
    EXPECT_NO_THROW(load_manifest(dir));
    write_file_atomic(dir + "/manifest.json", text);
    EXPECT_NO_THROW(load_manifest(dir, &d.keys));
  }
}

TEST(ManifestHmac, OtherKeyOrMissingSidecarFails) {
  Datasets d = wdbc_datasets("manifest_key");
  const std::string dir = d.encrypted.shard_dir;
  DataKeys other(load_key_file(key_file(d.dir, "other.bin")));
  std::string message = user_error_of([&] { load_manifest(dir, &other); });
  EXPECT_CONTAINS(message, "authentication failed");
  EXPECT_CONTAINS(message, "key id " + d.keys.key_id());
  EXPECT_CONTAINS(message, "key id " + other.key_id());
  fs::remove(dir + "/manifest.json.hmac");
  EXPECT_CONTAINS(user_error_of([&] { load_manifest(dir, &d.keys); }),
                  "manifest.json.hmac is missing");
}

TEST(ManifestHmac, VersionOneZeroManifestStillLoadsWithoutKey) {
  std::string dir = scratch("manifest_v10");
  Manifest m;
  m.format_version_minor = 0;
  m.classes = {"0", "1"};
  m.splits["train"] = {1, 1, {1, 0}, {{"train-00000.h5", 1, std::string(64, 'a')}}};
  save_manifest(dir, m);
  // Written by galien 0.1: no "encryption" field at all.
  std::string text = read_file(dir + "/manifest.json");
  const std::string field = ",\n  \"encryption\": null";
  text.replace(text.find(field), field.size(), "");
  write_file_atomic(dir + "/manifest.json", text);
  Manifest back = load_manifest(dir);
  EXPECT_EQ(back.format_version_minor, 0);
  EXPECT_FALSE(back.encryption.has_value());
}

// ---------------------------------------------------------------- a rank's view

TEST(RankShardsEncrypted, SameContentAsPlainShardsOfTheSameData) {
  Datasets d = wdbc_datasets("same_content");
  const Manifest plain = load_manifest(d.plain.shard_dir, &d.keys);
  const Manifest encrypted = load_manifest(d.encrypted.shard_dir, &d.keys);
  ASSERT_TRUE(encrypted.encryption.has_value());
  EXPECT_EQ(encrypted.splits.at("train").shards[0].file, "train-00000.h5.enc");
  for (const char* split : {"train", "val", "test"}) {
    for (int rank = 0; rank < 2; ++rank) {
      RankShards a(d.plain.shard_dir, plain, split, 2, rank, &d.keys);
      RankShards b(d.encrypted.shard_dir, encrypted, split, 2, rank, &d.keys);
      EXPECT_EQ(a.shard_sizes(), b.shard_sizes());
      std::vector<SampleRef> samples = a.all_owned_samples();
      ASSERT_EQ(samples.size(), b.all_owned_samples().size());
      const auto width = static_cast<std::size_t>(a.num_features());
      std::vector<float> fa(samples.size() * width), fb(fa.size());
      std::vector<std::int64_t> la(samples.size()), lb(samples.size());
      a.gather(samples, fa.data(), la.data());
      b.gather(samples, fb.data(), lb.data());
      EXPECT_EQ(fa, fb) << split << " rank " << rank;
      EXPECT_EQ(la, lb) << split << " rank " << rank;
    }
  }
  // The pseudonyms inside are the same too, and none is readable on disk.
  const ShardEntry& entry = encrypted.splits.at("train").shards[0];
  ShardData inside = load_shard(d.encrypted.shard_dir, entry, encrypted, &d.keys);
  EXPECT_EQ(inside.pseudonyms,
            read_shard(d.plain.shard_dir + "/train-00000.h5").pseudonyms);
  std::string bytes = read_file(d.encrypted.shard_dir + "/" + entry.file);
  EXPECT_EQ(bytes.find(inside.pseudonyms[0]), std::string::npos);
}

// The verified file image that ShardReader keeps for per-sample pixel reads.
TEST(RankShardsEncrypted, VerifiedImageForShardReader) {
  Datasets d = wdbc_datasets("image_for_reader");
  for (const ShardResult* result : {&d.plain, &d.encrypted}) {
    const Manifest manifest = load_manifest(result->shard_dir, &d.keys);
    const ShardEntry& entry = manifest.splits.at("val").shards[1];
    std::vector<std::uint8_t> image = load_shard_image(result->shard_dir, entry, manifest, &d.keys);
    ShardData from_image = read_shard_image(image.data(), image.size(), entry.file);
    EXPECT_EQ(from_image.features,
              load_shard(result->shard_dir, entry, manifest, &d.keys).features);
    flip_byte(result->shard_dir + "/" + entry.file, 100);
    EXPECT_CONTAINS(
        user_error_of([&] { load_shard_image(result->shard_dir, entry, manifest, &d.keys); }),
        entry.file + ": authentication failed");
  }
}

TEST(RankShardsEncrypted, FlippedByteFailsOnEveryRankNamingTheShard) {
  Datasets d = wdbc_datasets("rank_flip");
  const std::string dir = d.encrypted.shard_dir;
  const std::string shard = dir + "/train-00001.h5.enc";
  flip_byte(shard, fs::file_size(shard) / 2);
  const Manifest manifest = load_manifest(dir, &d.keys);
  // Rank 1 owns the shard and decrypts it: the tag fails, naming the shard. Rank 0 reads only
  // its own shard and checks that rank 1's exists; rank 1's error stops the job (an error on
  // any rank stops every rank: EncryptedTraining.FlippedByteStopsTrainingBeforeStepOne...).
  const std::string message =
      user_error_of([&] { RankShards(dir, manifest, "train", 2, 1, &d.keys); });
  EXPECT_CONTAINS(message, "train-00001.h5.enc");
  EXPECT_CONTAINS(message, "authentication failed");
  EXPECT_CONTAINS(message, "SHA-256 differs from manifest.json's");
  EXPECT_NO_THROW(RankShards(dir, manifest, "train", 2, 0, &d.keys));
  fs::rename(shard, shard + ".moved");
  EXPECT_CONTAINS(user_error_of([&] { RankShards(dir, manifest, "train", 2, 0, &d.keys); }),
                  "train-00001.h5.enc listed in manifest.json is missing");
  fs::rename(shard + ".moved", shard);
  EXPECT_NO_THROW(RankShards(dir, manifest, "val", 2, 1, &d.keys));
}

TEST(RankShardsEncrypted, WrongKeyIsExplainedAsSuch) {
  Datasets d = wdbc_datasets("rank_wrong_key");
  const std::string dir = d.encrypted.shard_dir;
  DataKeys other(load_key_file(key_file(d.dir, "other.bin")));
  // The manifest check comes first and names both keys.
  EXPECT_CONTAINS(user_error_of([&] { load_manifest(dir, &other); }), "authentication failed");
  // A shard opened with a wrong key on its own: the file is intact, so the key is wrong.
  Manifest manifest = load_manifest(dir, &d.keys);
  const ShardEntry& entry = manifest.splits.at("val").shards[0];
  std::string message = user_error_of([&] { load_shard(dir, entry, manifest, &other); });
  EXPECT_CONTAINS(message, entry.file + ": authentication failed");
  EXPECT_CONTAINS(message, "the key is not the one that wrote it");
}

// A shard opened with another key than the one that wrote it says so in plain words: which key
// wrote the shards, which was given, and the two ways out.
TEST(RankShardsEncrypted, WrongKeyOnAShardNamesBothKeyIdsAndWhatToDo) {
  Datasets d = wdbc_datasets("shard_wrong_key_ids");
  const std::string dir = d.encrypted.shard_dir;
  DataKeys other(load_key_file(key_file(d.dir, "other.bin")));
  Manifest manifest = load_manifest(dir, &d.keys);
  for (const char* split : {"train", "test"}) {
    const ShardEntry& entry = manifest.splits.at(split).shards[1];
    for (bool image : {false, true}) {
      std::string message = user_error_of([&] {
        if (image) {
          load_shard_image(dir, entry, manifest, &other);
        } else {
          load_shard(dir, entry, manifest, &other);
        }
      });
      EXPECT_CONTAINS(message, "shard " + fs::absolute(dir + "/" + entry.file).string() +
                                   ": authentication failed");
      EXPECT_CONTAINS(message, "the file is the one `galien shard` wrote");
      EXPECT_CONTAINS(message, "these shards were written with key id " + d.keys.key_id() +
                                   ", but the key file given (privacy.key_file, or --key of "
                                   "galien verify) has key id " + other.key_id());
      EXPECT_CONTAINS(message, "use the data controller's key whose key id is " +
                                   d.keys.key_id());
      EXPECT_CONTAINS(message, "re-run `galien shard` with this key");
    }
  }
  EXPECT_EQ(wrong_key_advice("aaaa", "bbbb"),
            "these shards were written with key id aaaa, but the key file given "
            "(privacy.key_file, or --key of galien verify) has key id bbbb. Either it is the "
            "wrong key file: use the data controller's key whose key id is aaaa (or a data key "
            "derived from it for this dataset); or the shards were written with another key than intended: re-run `galien shard` with this key");
}

// What `galien verify --key` does (launcher/commands/verify.cpp): the manifest's HMAC, then
// every shard of every split loaded. One flipped byte in one shard fails on that shard only,
// named, as a modified file (not a wrong key), for encrypted and plain shards alike.
TEST(RankShardsEncrypted, VerifyingEveryShardNamesOnlyTheFlippedOne) {
  Datasets d = wdbc_datasets("verify_flip");
  for (const ShardResult* result : {&d.encrypted, &d.plain}) {
    const std::string dir = result->shard_dir;
    const bool encrypted = result == &d.encrypted;
    const std::string flipped = encrypted ? "val-00001.h5.enc" : "val-00001.h5";
    flip_byte(dir + "/" + flipped, fs::file_size(dir + "/" + flipped) / 3);
    const Manifest manifest = load_manifest(dir, &d.keys);  // the manifest itself is intact
    std::vector<std::string> failed;
    for (const auto& [split, info] : manifest.splits) {
      for (const ShardEntry& entry : info.shards) {
        try {
          load_shard(dir, entry, manifest, &d.keys);
        } catch (const UserError& e) {
          failed.push_back(entry.file);
          const std::string message = e.what();
          EXPECT_CONTAINS(message, "shard " + fs::absolute(dir + "/" + flipped).string() +
                                       ": authentication failed");
          if (encrypted) {
            EXPECT_CONTAINS(message, "its SHA-256 differs from manifest.json's, so this file "
                                     "was modified or damaged after `galien shard` wrote it: "
                                     "copy it again from the data controller");
          } else {
            EXPECT_CONTAINS(message, "the file is corrupted or was modified");
          }
          EXPECT_EQ(message.find("key id"), std::string::npos) << message;
        }
      }
    }
    EXPECT_EQ(failed, std::vector<std::string>{flipped});
  }
}

TEST(RankShardsEncrypted, EncryptedWithoutKeyIsRefusedBeforeReading) {
  Datasets d = wdbc_datasets("rank_no_key");
  const Manifest manifest = load_manifest(d.encrypted.shard_dir);
  std::string message =
      user_error_of([&] { RankShards(d.encrypted.shard_dir, manifest, "train", 1, 0); });
  EXPECT_CONTAINS(message, "train-00000.h5.enc is encrypted");
  EXPECT_CONTAINS(message, "set privacy.key_file (galien train) or pass --key (galien verify) "
                           "with the data key of this dataset (`galien keygen --data-key`) or the "
                           "data controller's key, key id " + manifest.key_id);
  // A key with a manifest that skipped authentication is a wiring bug, not a user error.
  EXPECT_THROW(RankShards(d.encrypted.shard_dir, manifest, "train", 1, 0, &d.keys),
               InternalError);
}

TEST(RankShardsEncrypted, PlainShardsKeepWorkingWithoutKey) {
  Datasets d = wdbc_datasets("rank_plain");
  const Manifest manifest = load_manifest(d.plain.shard_dir);
  RankShards shards(d.plain.shard_dir, manifest, "train", 2, 0);
  EXPECT_EQ(shards.num_features(), 30);
  flip_byte(d.plain.shard_dir + "/train-00001.h5", 1000);  // rank 1's shard, verified by rank 1
  std::string message =
      user_error_of([&] { RankShards(d.plain.shard_dir, manifest, "train", 2, 1); });
  EXPECT_CONTAINS(message, "train-00001.h5");
  EXPECT_CONTAINS(message, "corrupted or was modified");
}

// The container format, exactly as docs/FORMAT.md describes it, opened by an independent
// implementation (Python's cryptography + h5py): key derivation, header, AAD, tag.
TEST(EncryptedShard, DocumentedFormatOpensWithPythonCryptographyAndH5py) {
  Datasets d = wdbc_datasets("python");
  const Manifest manifest = load_manifest(d.encrypted.shard_dir, &d.keys);
  const ShardEntry& entry = manifest.splits.at("train").shards[1];
  const std::string script = d.dir + "/open.py";
  std::ofstream(script) << R"(import hashlib, hmac, io, json, struct, sys
import h5py
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
key_file, shard_dir, name = sys.argv[1:4]
def hkdf(ikm, salt, info):
    return HKDF(hashes.SHA256(), 32, salt, info.encode()).derive(ikm)
text = open(shard_dir + '/manifest.json', 'rb').read()
manifest = json.loads(text)
key_bytes = open(key_file, 'rb').read()
if key_bytes.startswith(b'galien-data-key 1\n'):  # a data key file holds the dataset key
    fields = dict(line.split(' ', 1) for line in key_bytes.decode().splitlines()[1:])
    assert fields['dataset_id'] == manifest['dataset_id']
    data_key = bytes.fromhex(fields['key'])
else:                                            # the controller key: root, then dataset key
    root = hkdf(key_bytes, None, 'galien data key v1')
    data_key = hkdf(root, bytes.fromhex(manifest['dataset_salt']), 'galien dataset key v1')
assert hashlib.sha256(b'galien dataset id v1' + bytes.fromhex(manifest['dataset_salt'])).hexdigest()[:16] == manifest['dataset_id']
sidecar = json.load(open(shard_dir + '/manifest.json.hmac'))
mac = hmac.new(hkdf(data_key, None, 'galien manifest v1'), text, hashlib.sha256).hexdigest()
assert mac == sidecar['hmac_sha256'], 'manifest HMAC'
salt = bytes.fromhex(manifest['encryption']['salt'])
blob = open(shard_dir + '/' + name, 'rb').read()
assert hashlib.sha256(blob).hexdigest() in text.decode()
assert blob[:8] == b'GALIENCR' and struct.unpack('<HH', blob[8:12]) == (1, 0)
nonce = blob[12:24]
(n,) = struct.unpack('<H', blob[24:26])
assert blob[26:26 + n].decode() == name
plain = AESGCM(hkdf(data_key, salt, 'galien shard v1:' + name)).decrypt(
    nonce, blob[26 + n:], blob[:26 + n])
f = h5py.File(io.BytesIO(plain), 'r')
print(f['features'].shape[0], f['features'].shape[1], f.attrs['shard_index'])
)";
  // With the controller key, and with the data key derived for this dataset.
  const std::string data_key = d.dir + "/data.key";
  write_data_key_file(data_key, DataKeyFile{manifest.dataset_id, d.keys.key_id(),
                                            d.keys.dataset_key(dataset_identity(manifest))});
  for (const std::string& key : {d.dir + "/key.bin", data_key}) {
    const std::string out = d.dir + "/python.out";
    const std::string command = "/usr/bin/python3 " + script + " " + key + " " +
                                d.encrypted.shard_dir + " " + entry.file + " > " + out + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << key << "\n" << read_file(out);
    EXPECT_EQ(read_file(out), std::to_string(entry.num_samples) + " 30 1\n");
  }
}

// Shard directories of format <= 1.3 have no dataset identity: the controller key still
// authenticates and decrypts them (the keys of the root data key), no data key opens them.
TEST(RankShardsEncrypted, OlderDirectoriesWithoutDatasetIdentityOpenWithTheControllerKeyOnly) {
  Datasets d = wdbc_datasets("legacy_identity");
  const std::string dir = d.encrypted.shard_dir;
  Manifest manifest = load_manifest(dir, &d.keys);
  ASSERT_FALSE(manifest.dataset_id.empty());
  const DataKeys data_key(DataKeyFile{manifest.dataset_id, d.keys.key_id(),
                                      d.keys.dataset_key(dataset_identity(manifest))});
  // This dataset: the data key opens it exactly as the controller key.
  const Manifest with_data_key = load_manifest(dir, &data_key);
  EXPECT_TRUE(with_data_key.authenticated);
  for (const ShardEntry& entry : with_data_key.splits.at("train").shards)
    EXPECT_NO_THROW(load_shard(dir, entry, with_data_key, &data_key));
  // Written again as an older galien would (no identity, root keys): the controller key reads it.
  Manifest legacy = manifest;
  legacy.format_version_minor = 3;
  legacy.dataset_id.clear();
  legacy.dataset_salt.clear();
  legacy.encryption.reset();
  const std::string plain = d.plain.shard_dir;
  for (auto& [name, split] : legacy.splits) {
    split = load_manifest(plain, &d.keys).splits.at(name);
  }
  save_manifest(plain, legacy, d.keys);
  const Manifest read_back = load_manifest(plain, &d.keys);
  EXPECT_TRUE(read_back.authenticated);
  EXPECT_TRUE(read_back.dataset_id.empty());
  std::string message = user_error_of([&] { load_manifest(plain, &data_key); });
  EXPECT_CONTAINS(message, "was written by an older galien (shard format <= 1.3) and has no "
                           "dataset identity, so no data key opens it");
}

}  // namespace
}  // namespace galien
