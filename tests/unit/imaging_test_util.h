// Helpers shared by the imaging tests: scratch folders, expected UserErrors, fixtures made by
// tests/fixtures/make_imaging_fixtures.py (Debian's python3 with pydicom, nibabel, PIL, numpy).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "tests/support/test_support.h"

namespace galien::imaging_test {

inline std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/imaging/" + name;
  std::filesystem::remove_all(dir);
  make_directories(dir);
  return dir;
}

using test::user_error_of;

// Runs the fixture script; fails the test when it fails.
inline void make_fixture(const std::string& kind, const std::string& out,
                         const std::string& extra = "") {
  std::string command = "/usr/bin/python3 " + std::string(GALIEN_SOURCE_DIR) +
                        "/tests/fixtures/make_imaging_fixtures.py " + kind + " " + out + " " +
                        extra;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A test file shipped by Debian's python3-pydicom (real DICOM that carries patient names/IDs).
inline std::string pydicom_file(const std::string& name) {
  return "/usr/lib/python3/dist-packages/pydicom/data/test_files/" + name;
}

}  // namespace galien::imaging_test

