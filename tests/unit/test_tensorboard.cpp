// TensorBoard event files: CRC-32C against published check values, TFRecord framing, and the
// files read back by the real TensorBoard (its EventAccumulator, from the PyPI package that
// scripts/install-test-python.sh installs into a venv).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "core/error.h"
#include "trainers/observability/crc32c.h"
#include "trainers/observability/host_info.h"
#include "trainers/observability/tensorboard.h"
#include "trainers/observability/tfrecord.h"

#ifndef GALIEN_TEST_PYTHON
#define GALIEN_TEST_PYTHON ""
#endif

namespace galien {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(GALIEN_TEST_TMP) / "tensorboard" / test->name();
  fs::remove_all(dir);
  return dir.string();
}

// The venv's interpreter: $GALIEN_TEST_PYTHON, else the one CMake expects in the build tree.
std::string test_python() {
  const char* from_env = std::getenv("GALIEN_TEST_PYTHON");
  return from_env && *from_env ? from_env : GALIEN_TEST_PYTHON;
}

// Runs TensorBoard's reader on `logdir`; {tag: [[step, value, wall_time], ...]}.
nlohmann::json read_with_tensorboard(const std::string& logdir) {
  const std::string python = test_python();
  if (python.empty() || access(python.c_str(), X_OK) != 0) {
    ADD_FAILURE() << "no Python with the tensorboard package at '" << python
                  << "': run `bash scripts/install-test-python.sh <build dir>/.venv-test` "
                  << "(scripts/test.sh does), or set GALIEN_TEST_PYTHON";
    return nullptr;
  }
  const std::string command = "'" + python + "' '" + GALIEN_SOURCE_DIR +
                              "/tests/unit/read_tensorboard.py' '" + logdir + "'";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << command;
    return nullptr;
  }
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    ADD_FAILURE() << command << " exited with status " << status << "; output: " << output;
    return nullptr;
  }
  return nlohmann::json::parse(output);
}

TEST(Crc32c, MatchesPublishedCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC catalogue's check value
  EXPECT_EQ(crc32c(""), 0u);
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, 32 bytes of 0xFF.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
}

TEST(Crc32c, MaskRotatesAndOffsets) {
  const std::uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST(TfRecord, FramesLengthAndChecksums) {
  const std::string data = "hello";
  const std::string record = tfrecord_frame(data);
  ASSERT_EQ(record.size(), data.size() + 16);
  EXPECT_EQ(record.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));  // little-endian length
  auto u32_at = [&](std::size_t offset) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(record[offset + i]);
    return v;
  };
  EXPECT_EQ(u32_at(8), masked_crc32c(record.substr(0, 8)));
  EXPECT_EQ(record.substr(12, 5), data);
  EXPECT_EQ(u32_at(17), masked_crc32c(data));
}

TEST(TensorBoard, FileNameNamesTimeHostAndProcess) {
  TensorBoardWriter writer(fresh_dir());
  const std::string name = fs::path(writer.path()).filename().string();
  const std::regex pattern("events\\.out\\.tfevents\\.[0-9]+\\.(.+)\\.([0-9]+)\\.galien");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(name, match, pattern)) << name;
  EXPECT_EQ(match[1].str(), hostname());
  EXPECT_EQ(match[2].str(), std::to_string(getpid()));
}

TEST(TensorBoard, RealReaderLoadsScalars) {
  const std::string dir = fresh_dir();
  {
    TensorBoardWriter writer(dir);
    for (std::int64_t step : {1, 2, 300, 100000})  // steps past 127 need multi-byte varints
      writer.add_scalar("train/loss", 1.0 / static_cast<double>(step), step);
    writer.add_scalars({{"val/auc", 0.875}, {"val/loss", 0.25}}, 300);
    writer.add_scalar("train/samples_per_s", -3.5, 0);
    writer.flush();
  }
  const nlohmann::json scalars = read_with_tensorboard(dir);
  ASSERT_TRUE(scalars.is_object()) << scalars;
  std::vector<std::string> tags;
  for (const auto& [tag, events] : scalars.items()) tags.push_back(tag);
  EXPECT_EQ(tags, (std::vector<std::string>{"train/loss", "train/samples_per_s", "val/auc",
                                            "val/loss"}));
  const auto& loss = scalars.at("train/loss");
  ASSERT_EQ(loss.size(), 4u);
  const std::int64_t steps[] = {1, 2, 300, 100000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(loss[i][0].get<std::int64_t>(), steps[i]);
    EXPECT_EQ(loss[i][1].get<double>(), static_cast<float>(1.0 / static_cast<double>(steps[i])));
    EXPECT_GT(loss[i][2].get<double>(), 1.5e9);  // a Unix time, in seconds
  }
  EXPECT_EQ(scalars.at("val/auc")[0][0].get<std::int64_t>(), 300);
  EXPECT_EQ(scalars.at("val/auc")[0][1].get<double>(), 0.875);
  EXPECT_EQ(scalars.at("val/loss")[0][1].get<double>(), 0.25);
  EXPECT_EQ(scalars.at("train/samples_per_s")[0][1].get<double>(), -3.5);
}

TEST(TensorBoard, FlushedScalarsAreReadableWhileTheWriterIsOpen) {
  const std::string dir = fresh_dir();
  TensorBoardWriter writer(dir);
  writer.add_scalar("val/accuracy", 0.5, 7);
  writer.flush();
  const nlohmann::json scalars = read_with_tensorboard(dir);
  ASSERT_TRUE(scalars.is_object()) << scalars;
  ASSERT_EQ(scalars.at("val/accuracy").size(), 1u);
  EXPECT_EQ(scalars.at("val/accuracy")[0][0].get<std::int64_t>(), 7);
}

// The reader checks both CRCs, so RealReaderLoadsScalars vouches for ours: a record whose data
// CRC is wrong is not loaded.
TEST(TensorBoard, RealReaderRejectsARecordWithABadChecksum) {
  const std::string dir = fresh_dir();
  std::string path;
  {
    TensorBoardWriter writer(dir);
    writer.add_scalar("val/auc", 0.5, 1);
    writer.add_scalar("val/auc", 0.75, 2);
    path = writer.path();
  }
  std::FILE* file = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(std::fseek(file, -1, SEEK_END), 0);  // last byte of the last record's data CRC
  const int last = std::fgetc(file);
  ASSERT_EQ(std::fseek(file, -1, SEEK_END), 0);
  std::fputc(last ^ 0x01, file);
  std::fclose(file);
  const nlohmann::json scalars = read_with_tensorboard(dir);
  ASSERT_TRUE(scalars.is_object()) << scalars;
  ASSERT_EQ(scalars.at("val/auc").size(), 1u);
  EXPECT_EQ(scalars.at("val/auc")[0][0].get<std::int64_t>(), 1);
}

TEST(TensorBoard, TwoWritersInOneDirectoryUseTwoFiles) {
  const std::string dir = fresh_dir();
  TensorBoardWriter first(dir), second(dir);
  EXPECT_NE(first.path(), second.path());
}

TEST(TensorBoard, UnwritableDirectoryIsAUserError) {
  const std::string dir = fresh_dir();
  fs::create_directories(dir);
  std::FILE* blocker = std::fopen((dir + "/file").c_str(), "w");
  ASSERT_NE(blocker, nullptr);
  std::fclose(blocker);
  EXPECT_THROW(TensorBoardWriter(dir + "/file/tb"), UserError);
}

}  // namespace
}  // namespace galien
