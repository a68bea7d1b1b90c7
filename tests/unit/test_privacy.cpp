#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "privacy/key_file.h"
#include "privacy/pseudonym.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

// A fresh, empty scratch directory per test.
std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/privacy/" + name;
  std::filesystem::remove_all(dir);
  make_directories(dir);
  return dir;
}

using test::user_error_of;

std::string run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return output;
}

void write_bytes(const std::string& path, std::size_t size, unsigned mode) {
  { std::ofstream(path, std::ios::binary) << std::string(size, 'k'); }
  ::chmod(path.c_str(), mode);
}

TEST(Hmac, MatchesRfc4231TestCase2) {
  const std::string key = "Jefe";
  EXPECT_EQ(hmac_sha256_hex(reinterpret_cast<const std::uint8_t*>(key.data()), key.size(),
                            "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, MatchesOpensslCommandLine) {
  std::string dir = scratch("openssl");
  generate_key_file(dir + "/key");
  SecretKey key = load_key_file(dir + "/key");
  const std::string message = "PAT-8842-DUPONT";
  { std::ofstream(dir + "/message", std::ios::binary) << message; }
  std::string output =
      run_command("openssl dgst -sha256 -mac HMAC -macopt hexkey:" +
                  to_hex(key.bytes.data(), key.bytes.size()) + " " + dir + "/message");
  // "HMAC-SHA2-256(FILE)= <hex>"
  std::string digest = output.substr(output.rfind(' ') + 1, 64);
  EXPECT_EQ(Pseudonymizer(key)(message), digest) << output;
}

TEST(Pseudonym, IsStableKeyedLowercaseHex) {
  std::string dir = scratch("pseudonym");
  generate_key_file(dir + "/a");
  generate_key_file(dir + "/b");
  Pseudonymizer a(load_key_file(dir + "/a")), b(load_key_file(dir + "/b"));
  std::string p = a("PAT-1");
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(p.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(p, a("PAT-1"));
  EXPECT_NE(p, a("PAT-2"));
  EXPECT_NE(p, b("PAT-1"));
}

TEST(KeyFile, KeygenWritesMode0600AndRefusesOverwrite) {
  std::string dir = scratch("keygen");
  std::string path = dir + "/key";
  generate_key_file(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  std::string before = read_file(path);
  std::string message = user_error_of([&] { generate_key_file(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;
  EXPECT_EQ(read_file(path), before);
}

TEST(KeyFile, KeyIdIsShortStableAndRevealsNothing) {
  std::string dir = scratch("key_id");
  generate_key_file(dir + "/key");
  SecretKey key = load_key_file(dir + "/key");
  std::string id = key.key_id();
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id, load_key_file(dir + "/key").key_id());
  EXPECT_EQ(to_hex(key.bytes.data(), key.bytes.size()).find(id), std::string::npos);
}

TEST(KeyFile, MissingFileIsRefusedWithKeygenHint) {
  std::string path = scratch("missing") + "/nope.key";
  std::string message = user_error_of([&] { load_key_file(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("galien keygen"), std::string::npos) << message;
}

TEST(KeyFile, WrongSizeIsRefused) {
  std::string path = scratch("short") + "/short.key";
  write_bytes(path, 31, 0600);
  std::string message = user_error_of([&] { load_key_file(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("31 bytes"), std::string::npos) << message;
}

TEST(KeyFile, GroupOrOtherAccessIsRefused) {
  std::string path = scratch("mode") + "/open.key";
  write_bytes(path, 32, 0644);
  std::string message = user_error_of([&] { load_key_file(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("chmod 600 " + path), std::string::npos) << message;
  ::chmod(path.c_str(), 0600);
  EXPECT_NO_THROW(load_key_file(path));
}

DataKeyFile sample_data_key() {
  DataKeyFile key;
  key.dataset_id = "0123456789abcdef";
  key.controller_key_id = "fedcba9876543210";
  Bytes bytes(32, 0x5a);
  key.key = Key256(bytes.data());
  return key;
}

TEST(KeyFile, DataKeyFileSaysWhatItIsAndRoundTrips) {
  std::string path = scratch("data_key") + "/data.key";
  const DataKeyFile written = sample_data_key();
  write_data_key_file(path, written);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = read_file(path);
  EXPECT_EQ(text.rfind("galien-data-key 1\ndataset_id 0123456789abcdef\n"
                       "controller_key_id fedcba9876543210\nkey ", 0), 0u) << text;
  const AnyKeyFile loaded = load_any_key_file(path);
  ASSERT_EQ(loaded.kind, KeyKind::kData);
  EXPECT_EQ(loaded.data.dataset_id, written.dataset_id);
  EXPECT_EQ(loaded.data.controller_key_id, written.controller_key_id);
  EXPECT_EQ(to_hex(loaded.data.key.data(), 32), to_hex(written.key.data(), 32));
  EXPECT_EQ(loaded.key_id(), written.key_id());
  EXPECT_EQ(loaded.key_id().size(), 16u);
  // Never overwritten.
  std::string message = user_error_of([&] { write_data_key_file(path, written); });
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;
  EXPECT_EQ(read_file(path), text);
}

TEST(KeyFile, CommandsThatMakePseudonymsRefuseADataKey) {
  std::string path = scratch("data_key_refused") + "/data.key";
  write_data_key_file(path, sample_data_key());
  std::string message = user_error_of([&] { load_key_file(path, "`galien shard` makes pseudonyms"); });
  EXPECT_NE(message.find(path + " is a data key (dataset 0123456789abcdef"), std::string::npos)
      << message;
  EXPECT_NE(message.find("cannot make pseudonyms"), std::string::npos) << message;
  EXPECT_NE(message.find("`galien shard` makes pseudonyms"), std::string::npos) << message;
  EXPECT_NE(message.find("controller's key (key id fedcba9876543210)"), std::string::npos)
      << message;
}

TEST(KeyFile, MalformedDataKeyIsRefusedWithoutQuotingIt) {
  std::string dir = scratch("data_key_bad");
  const std::string secret(64, 'c');
  for (const std::string& body :
       {"dataset_id 0123456789abcdef\ncontroller_key_id fedcba9876543210\nkey " + secret.substr(2) + "\n",
        "dataset_id 0123456789abcdef\nkey " + secret + "\n",
        "dataset_id 0123456789abcdef\ncontroller_key_id fedcba9876543210\nkey " + secret + "\nkey " + secret + "\n",
        std::string("colour blue\n")}) {
    const std::string path = dir + "/bad.key";
    std::filesystem::remove(path);
    { std::ofstream(path) << "galien-data-key 1\n" << body; }
    ::chmod(path.c_str(), 0600);
    std::string message = user_error_of([&] { load_any_key_file(path); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("galien keygen --data-key"), std::string::npos) << message;
    EXPECT_EQ(message.find("cccccc"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace galien
