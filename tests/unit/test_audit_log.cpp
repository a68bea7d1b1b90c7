// The hash-chained audit log: appends, verification, tampering, concurrent writers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "privacy/audit_log.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;


std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/audit_log/" + name;
  std::filesystem::remove_all(dir);
  make_directories(dir);
  return dir;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

// A log of `count` events, returned as its path.
std::string log_with(const std::string& name, int count) {
  std::string path = scratch(name) + "/audit.jsonl";
  for (int i = 0; i < count; ++i)
    append_audit_event(path, "test_event", {{"index", i}, {"note", "entry " + std::to_string(i)}});
  return path;
}

TEST(AuditLog, EntriesChainFromSixtyFourZeros) {
  std::string path = log_with("chain", 3);
  std::vector<std::string> lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Json entry = Json::parse(lines[i]);
    EXPECT_EQ(entry["seq"], i + 1);
    EXPECT_EQ(entry["prev_sha256"], i == 0 ? std::string(64, '0') : sha256_hex(lines[i - 1]));
    EXPECT_EQ(entry["event"], "test_event");
    EXPECT_EQ(entry["index"], i);
    EXPECT_EQ(entry.begin().key(), "seq");  // fixed fields first, then the event's
  }
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(check.entries, 3);
  EXPECT_EQ(check.head_sha256, sha256_hex(lines[2]));
}

TEST(AuditLog, EmptyLogIsValidAndMissingLogIsAnError) {
  std::string dir = scratch("empty");
  write_lines(dir + "/audit.jsonl", {});
  AuditLogCheck check = verify_audit_log(dir + "/audit.jsonl");
  EXPECT_TRUE(check.ok);
  EXPECT_EQ(check.entries, 0);
  EXPECT_THROW(verify_audit_log(dir + "/none.jsonl"), UserError);
}

TEST(AuditLog, EditedLineIsNamed) {
  std::string path = log_with("edited", 4);
  std::vector<std::string> lines = lines_of(path);
  const std::size_t at = lines[1].find("entry 1");
  ASSERT_NE(at, std::string::npos);
  lines[1].replace(at, 7, "entry 9");  // same length, still valid JSON, same seq
  write_lines(path, lines);
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.bad_line, 3);  // the link that breaks is in the next entry
  EXPECT_CONTAINS(check.problem, "line 2 was edited");
  EXPECT_EQ(check.entries, 2);
}

TEST(AuditLog, DeletedLineIsNamed) {
  std::string path = log_with("deleted", 4);
  std::vector<std::string> lines = lines_of(path);
  lines.erase(lines.begin() + 1);
  write_lines(path, lines);
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.bad_line, 2);
  EXPECT_CONTAINS(check.problem, "sequence number 3 where 2 was expected");
  EXPECT_CONTAINS(check.problem, "deleted");
}

TEST(AuditLog, DeletedFirstLineAndReorderedLinesAreNamed) {
  std::string path = log_with("first", 3);
  std::vector<std::string> lines = lines_of(path);
  write_lines(path, {lines[1], lines[2]});
  EXPECT_EQ(verify_audit_log(path).bad_line, 1);
  write_lines(path, {lines[0], lines[2], lines[1]});
  EXPECT_EQ(verify_audit_log(path).bad_line, 2);
  // A line rewritten with a consistent seq but a stale hash: the chain itself catches it.
  Json forged = Json::parse(lines[2]);
  forged["prev_sha256"] = sha256_hex(std::string("something else"));
  write_lines(path, {lines[0], lines[1], forged.dump()});
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_EQ(check.bad_line, 3);
  EXPECT_CONTAINS(check.problem, "prev_sha256 does not match");
}

TEST(AuditLog, GarbageAndCutShortLinesAreNamed) {
  std::string path = log_with("garbage", 2);
  std::vector<std::string> lines = lines_of(path);
  write_lines(path, {lines[0], "not json at all", lines[1]});
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_EQ(check.bad_line, 2);
  EXPECT_CONTAINS(check.problem, "not a JSON object");

  // A torn final write: verification names it and appending refuses to build on it.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << lines[0] << "\n"
                                                          << lines[1].substr(0, 20);
  check = verify_audit_log(path);
  EXPECT_EQ(check.bad_line, 2);
  EXPECT_CONTAINS(check.problem, "cut short");
  EXPECT_THROW(append_audit_event(path, "more", Json::object()), UserError);
}

TEST(AuditLog, AppendAfterALongEntryKeepsTheChain) {
  // The tail is read backwards in chunks: an entry longer than the first chunk must still be
  // found whole.
  std::string path = scratch("long") + "/audit.jsonl";
  append_audit_event(path, "big", {{"blob", std::string(20000, 'x')}});
  append_audit_event(path, "small", Json::object());
  append_audit_event(path, "small", Json::object());
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(check.entries, 3);
}

TEST(AuditLog, ConcurrentWritersNeverForkTheChain) {
  std::string path = scratch("concurrent") + "/audit.jsonl";
  constexpr int kWriters = 4, kEach = 25;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        for (int i = 0; i < kEach; ++i) append_audit_event(path, "rank", {{"rank", w}, {"i", i}});
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  AuditLogCheck check = verify_audit_log(path);
  EXPECT_TRUE(check.ok) << "line " << check.bad_line << ": " << check.problem;
  EXPECT_EQ(check.entries, kWriters * kEach);
}

TEST(AuditLog, ShardsReadEventNamesJobUserHostRankAndNoKey) {
  std::string path = scratch("read") + "/audit.jsonl";
  ::setenv("SLURM_JOB_ID", "424242", 1);
  ShardsReadEvent event;
  event.shard_dir = "runs/shards/x";
  event.manifest_sha256 = std::string(64, 'a');
  event.config_sha256 = std::string(64, 'b');
  event.key_id = "0123456789abcdef";
  event.shards = {"train-00001.h5", "val-00001.h5"};
  event.rank = 1;
  event.world_size = 2;
  append_shards_read(path, event);
  ::unsetenv("SLURM_JOB_ID");
  Json entry = Json::parse(lines_of(path).at(0));
  EXPECT_EQ(entry["event"], "shards_read");
  EXPECT_EQ(entry["job"], "424242");
  EXPECT_FALSE(entry["user"].get<std::string>().empty());
  EXPECT_FALSE(entry["host"].get<std::string>().empty());
  EXPECT_EQ(entry["rank"], 1);
  EXPECT_EQ(entry["world_size"], 2);
  EXPECT_EQ(entry["shards"].size(), 2u);
  EXPECT_EQ(entry["key_id"], "0123456789abcdef");
  EXPECT_FALSE(entry.contains("key"));
  EXPECT_TRUE(verify_audit_log(path).ok);
}

TEST(AuditLog, DefaultPathIsInTheShardDirectory) {
  Config config;
  config.data.shard_dir = "runs/shards/wdbc";
  EXPECT_EQ(audit_log_path(config), "runs/shards/wdbc/audit.jsonl");
  config.privacy.audit_log = "/secure/audit.jsonl";
  EXPECT_EQ(audit_log_path(config), "/secure/audit.jsonl");
}

}  // namespace
}  // namespace galien
