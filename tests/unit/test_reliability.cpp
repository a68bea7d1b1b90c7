// Findings of the adversarial reliability work (docs/RELIABILITY.md), each replayed through the
// normal code path: the inputs libFuzzer found (tests/fuzz/regressions/TARGET/), and the
// fault-injection finding that two `galien shard` runs into one directory both "succeeded".
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "core/config/config.h"
#include "core/fs.h"
#include "datasets/imaging/nifti.h"
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

// fuzz_config: yaml-cpp 0.7 never returned on a ',' where a block value starts; `galien` hung
// forever on a config line ", x" or an override typed as data.classes="1", "0".
TEST(FuzzRegressions, ConfigWithAStrayCommaIsRefusedInsteadOfHanging) {
  std::string message = user_error_of([] { load_config_text("name: x\n, b\n", "c.yaml"); });
  EXPECT_CONTAINS(message, "c.yaml:2:1");
  EXPECT_CONTAINS(message, "',' outside [...] or {...}");
  message = user_error_of([] { load_config_text("data:\n  classes:\n    - 1\n    , 0\n", "c.yaml"); });
  EXPECT_CONTAINS(message, "c.yaml:4:5");
  message = user_error_of([] { check_override("data.classes=\"1\", \"0\"", "override"); });
  EXPECT_CONTAINS(message, "',' outside [...] or {...}");
  // The input the fuzzer found, split as tests/fuzz/fuzz_config.cpp splits it.
  const std::string input = read_file(regression("config/leading-comma-hang.bin"));
  const std::size_t nul = input.find('\0');
  ASSERT_NE(nul, std::string::npos);
  std::vector<std::string> overrides;
  std::istringstream lines(input.substr(nul + 1));
  for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  user_error_of([&] { load_config_text(input.substr(0, nul), "fuzz.yaml", overrides); });
  for (const std::string& o : overrides) {
    try {
      check_override(o, "override");
    } catch (const UserError&) {
    }
  }
  // What stays accepted: commas inside values, lists in brackets, quoted commas.
  EXPECT_NO_THROW(check_override("data.classes=[\"1\", \"0\"]", "override"));
  EXPECT_NO_THROW(check_override("published.note=a, b", "override"));
  EXPECT_NO_THROW(check_override("published.note='a, b'", "override"));
}

// fuzz_nifti: a vox_offset of 2.7e23 was cast to size_t (undefined; on x86 it could wrap the
// size check and read outside the file). Now refused by name.
TEST(FuzzRegressions, NiftiWithAHugeVoxOffsetIsRefused) {
  const std::string message =
      user_error_of([] { read_nifti(regression("nifti/vox-offset-huge.nii")); });
  EXPECT_CONTAINS(message, "vox-offset-huge.nii has vox_offset");
  EXPECT_CONTAINS(message, "its header is damaged");
}

}  // namespace
}  // namespace galien
