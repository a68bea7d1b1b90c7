#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

namespace galien {

TEST(Hash, Sha256OfKnownVectors) {
  EXPECT_EQ(sha256_hex(std::string_view("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, FileHashMatchesBytesHash) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/core";
  make_directories(dir);
  write_file_atomic(dir + "/f.txt", "abc");
  EXPECT_EQ(sha256_file_hex(dir + "/f.txt"), sha256_hex(std::string_view("abc")));
  EXPECT_THROW(sha256_file_hex(dir + "/missing.txt"), UserError);
}

TEST(Fs, AtomicWriteReplacesWholeFileAndKeepsMode) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/core";
  make_directories(dir);
  write_file_atomic(dir + "/g.txt", "first version", 0600);
  write_file_atomic(dir + "/g.txt", "second", 0600);
  EXPECT_EQ(read_file(dir + "/g.txt"), "second");
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/g.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (auto& entry : std::filesystem::directory_iterator(dir))  // no temporary left behind
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos);
}

TEST(Check, FailureNamesFileAndLine) {
  try {
    GALIEN_CHECK(1 + 1 == 3, "arithmetic");
    FAIL() << "no throw";
  } catch (const InternalError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("test_core.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("arithmetic"), std::string::npos) << what;
  }
}

}  // namespace galien
