#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "tests/support/test_support.h"

namespace galien {

// The leak check of the privacy tests: a short ID as a value of its own is found (CSV field,
// JSON string, NUL-padded HDF5 string), the same digits inside a hash are not.
TEST(TestSupport, AnIdIsFoundAsAValueButNotInsideAHash) {
  EXPECT_TRUE(test::contains_as_value("id,label\n30005,1\n", "30005"));
  EXPECT_TRUE(test::contains_as_value(std::string("\0\0" "30005\0\0", 9), "30005"));
  EXPECT_TRUE(test::contains_as_value("{\"patient\": \"30005\"}", "30005"));
  EXPECT_TRUE(test::contains_as_value("e3b0c44298fc 30005", "30005"));
  EXPECT_FALSE(test::contains_as_value("\"sha256\": \"9f2a30005c1e\"", "30005"));
  EXPECT_FALSE(test::contains_as_value("1300057", "30005"));
}

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
