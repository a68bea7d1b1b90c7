// Encrypted shards through the real executable: keygen -> shard with privacy.encrypt=true ->
// verify -> launch on 2 ranks. A flipped byte or another key must stop the job before step 1
// naming what failed; the right key must train exactly as on plain shards of the same data.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include "tests/support/test_support.h"

namespace {

namespace fs = std::filesystem;

const std::string kGalien = GALIEN_EXECUTABLE;
const std::string kSource = GALIEN_SOURCE_DIR;

using galien::test::Output;
Output run(const std::string& args) { return galien::test::run_in(kSource, kGalien + " " + args); }


void flip_byte(const std::string& path, std::uintmax_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  file.get(c);
  file.seekp(static_cast<std::streamoff>(offset));
  file.put(static_cast<char>(c ^ 0x01));
}

// One folder per test (ctest may run them in parallel), with a key and the WDBC table sharded
// twice with it: encrypted and plain.
class EncryptedTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(GALIEN_TEST_TMP) + "/e2e-encrypted/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Output keygen = run("keygen " + key());
    ASSERT_EQ(keygen.code, 0) << keygen.text;
    Output encrypted = run("shard configs/wdbc-mlp.yaml privacy.encrypt=true " +
                           data(encrypted_dir(), key()));
    ASSERT_EQ(encrypted.code, 0) << encrypted.text;
    Output plain = run("shard configs/wdbc-mlp.yaml " + data(plain_dir(), key()));
    ASSERT_EQ(plain.code, 0) << plain.text;
  }
  std::string key() const { return dir_ + "/controller.key"; }
  std::string encrypted_dir() const { return dir_ + "/encrypted"; }
  std::string plain_dir() const { return dir_ + "/plain"; }
  static std::string data(const std::string& shard_dir, const std::string& key_file) {
    return "data.shard_dir=" + shard_dir + " privacy.key_file=" + key_file;
  }
  // A short run (3 epochs) into dir_/runs/<name>.
  Output launch(const std::string& shard_dir, const std::string& key_file,
                const std::string& name) const {
    return run("launch configs/wdbc-mlp.yaml --ranks 2 " + data(shard_dir, key_file) +
               " trainer.epochs=3 trainer.run_dir=" + run_dir(name));
  }
  std::string run_dir(const std::string& name) const { return dir_ + "/runs/" + name; }
  // True when the run got as far as logging a training step or epoch.
  bool trained(const std::string& name) const {
    std::ifstream metrics(run_dir(name) + "/metrics.jsonl");
    std::string line;
    return metrics && std::getline(metrics, line) && !line.empty();
  }
  std::string dir_;
};

TEST_F(EncryptedTraining, ShardsAreEncryptedAndVerifyWithTheKey) {
  EXPECT_TRUE(fs::exists(encrypted_dir() + "/train-00000.h5.enc"));
  EXPECT_FALSE(fs::exists(encrypted_dir() + "/train-00000.h5"));
  EXPECT_TRUE(fs::exists(encrypted_dir() + "/manifest.json.hmac"));
  Output with_key = run("verify " + encrypted_dir() + " --key " + key());
  EXPECT_EQ(with_key.code, 0) << with_key.text;
  EXPECT_CONTAINS(with_key.text, "manifest.json: authenticated");
  EXPECT_CONTAINS(with_key.text, "decrypted and authenticated");
  Output without_key = run("verify " + encrypted_dir());
  EXPECT_EQ(without_key.code, 0) << without_key.text;
  EXPECT_CONTAINS(without_key.text, "not authenticated (no --key)");
}

// The shard of rank 1: only rank 1 verifies it (rank 0 checks that it exists), and rank 1's
// error stops rank 0 too, before any step.
TEST_F(EncryptedTraining, FlippedByteStopsTrainingBeforeStepOneNamingTheShard) {
  const std::string shard = encrypted_dir() + "/train-00001.h5.enc";
  flip_byte(shard, fs::file_size(shard) / 2);
  Output out = launch(encrypted_dir(), key(), "flipped");
  EXPECT_NE(out.code, 0) << out.text;
  EXPECT_CONTAINS(out.text, "train-00001.h5.enc");
  EXPECT_CONTAINS(out.text, "authentication failed");
  EXPECT_FALSE(trained("flipped"));
  Output verify = run("verify " + encrypted_dir() + " --key " + key());
  EXPECT_EQ(verify.code, 2) << verify.text;
  EXPECT_CONTAINS(verify.text, "train-00001.h5.enc: authentication failed");
}

// Another key fails at the first check, the manifest's HMAC, which names both key ids.
TEST_F(EncryptedTraining, AnotherKeyStopsTrainingBeforeStepOne) {
  const std::string other = dir_ + "/other.key";
  ASSERT_EQ(run("keygen " + other).code, 0);
  Output out = launch(encrypted_dir(), other, "other-key");
  EXPECT_NE(out.code, 0) << out.text;
  // galien launch finds it before starting any rank (datasets/run_checks.h).
  EXPECT_CONTAINS(out.text, "the run would stop on 1 problem, found before starting it");
  EXPECT_CONTAINS(out.text, "has key id");
  EXPECT_FALSE(trained("other-key"));
}

TEST_F(EncryptedTraining, RightKeyTrainsExactlyAsOnPlainShards) {
  Output encrypted = launch(encrypted_dir(), key(), "encrypted");
  ASSERT_EQ(encrypted.code, 0) << encrypted.text;
  Output plain = launch(plain_dir(), key(), "plain");
  ASSERT_EQ(plain.code, 0) << plain.text;
  auto summary = [&](const std::string& name) {
    std::ifstream in(run_dir(name) + "/summary.json");
    return nlohmann::json::parse(in);
  };
  const nlohmann::json a = summary("encrypted"), b = summary("plain");
  EXPECT_EQ(a["status"], "completed");
  ASSERT_TRUE(a["metrics"].contains("test/accuracy")) << a.dump(2);
  // Same bytes inside, same seed, same ranks: the same steps, so the same metrics exactly.
  EXPECT_EQ(a["metrics"], b["metrics"]) << a.dump(2) << "\n" << b.dump(2);
  EXPECT_EQ(a["parameters_sha256"], b["parameters_sha256"]);
}

}  // namespace
