// Findings of the adversarial reliability work (docs/RELIABILITY.md), each replayed through the
// normal code path: the inputs libFuzzer found (tests/fuzz/regressions/TARGET/), and the
// fault-injection finding that two `galien shard` runs into one directory both "succeeded".
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <string>

#include "core/config/config.h"
#include "core/fs.h"
#include "datasets/manifest.h"
#include "datasets/shard_output.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using test::user_error_of;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/reliability/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

// A checked-in input under tests/fuzz/regressions/.
std::string regression(const std::string& relative) {
  return std::string(GALIEN_SOURCE_DIR) + "/tests/fuzz/regressions/" + relative;
}

Config diabetes_config(const std::string& dir) {
  const std::string key = dir + "/k.key";
  if (!fs::exists(key)) generate_key_file(key);
  return load_config(std::string(GALIEN_SOURCE_DIR) + "/tests/configs/diabetes-regression.yaml",
                     {"data.shard_dir=" + dir + "/shards", "privacy.key_file=" + key});
}

ShardResult quiet_shard(const Config& config, bool overwrite = false) {
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));
  struct Restore {
    std::shared_ptr<spdlog::logger> logger;
    ~Restore() { spdlog::set_default_logger(logger); }
  } restore{previous};
  return run_shard(config, overwrite);
}

// bench/fault/concurrent_shard.py: two runs into one directory at once both exited 0, leaving
// one run's manifest over a mix of both runs' shards (refused by `galien verify` with a
// misleading "wrong key" diagnosis, or accepted by chance). Now the second run is refused.
TEST(ShardDirLock, ASecondRunIntoTheSameDirectoryIsRefusedWhileTheFirstRuns) {
  const std::string dir = scratch("lock");
  Config config = diabetes_config(dir);
  std::string message;
  {
    ShardDirLock running(config.data.shard_dir);  // what a first, unfinished run holds
    message = user_error_of([&] { quiet_shard(config); });
  }
  EXPECT_CONTAINS(message, "another `galien shard` is writing " + config.data.shard_dir);
  EXPECT_CONTAINS(message, "set another data.shard_dir");
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/manifest.json"));
  // Once it ended, a run goes through and leaves no lock file behind.
  quiet_shard(config);
  EXPECT_TRUE(fs::exists(config.data.shard_dir + "/manifest.json"));
  EXPECT_FALSE(fs::exists(config.data.shard_dir + "/.galien-shard.lock"));
  // A run that finished while another was waiting to start: refused as "already exists".
  EXPECT_CONTAINS(user_error_of([&] { quiet_shard(config); }), "already exists");
}

TEST(ShardDirLock, AKilledRunsLeftoverLockFileDoesNotBlock) {
  const std::string dir = scratch("leftover");
  Config config = diabetes_config(dir);
  make_directories(config.data.shard_dir);
  write_file_atomic(config.data.shard_dir + "/.galien-shard.lock", "");  // kill -9 leaves this
  quiet_shard(config);
  EXPECT_TRUE(fs::exists(config.data.shard_dir + "/manifest.json"));
}

}  // namespace
}  // namespace galien
