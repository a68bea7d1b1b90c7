#include "privacy/audit_log.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/clock.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const std::string kZeroHash(64, '0');

// Closes the descriptor (and so releases its flock) on every path out.
struct FileDescriptor {
  explicit FileDescriptor(int value) : fd(value) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int fd;
};

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  GALIEN_USER_ERROR("audit log " << path << ": cannot " << what << ": " << std::strerror(errno));
}

void read_at(int fd, char* data, std::size_t size, off_t offset, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::pread(fd, data, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_io("read", path);
    data += n, size -= static_cast<std::size_t>(n), offset += n;
  }
}

// The last line of a file of `size` bytes, without its line end; "" for an empty file. Reads
// backwards in growing chunks, so an append costs the same however long the log is.
std::string last_line(int fd, off_t size, const std::string& path) {
  if (size == 0) return "";
  std::string tail;
  off_t start = size;
  std::size_t chunk = 4096;
  while (start > 0) {
    const auto n =
        static_cast<off_t>(std::min<std::size_t>(chunk, static_cast<std::size_t>(start)));
    start -= n;
    std::string block(static_cast<std::size_t>(n), '\0');
    read_at(fd, block.data(), block.size(), start, path);
    tail.insert(0, block);
    if (tail.back() != '\n') {
      GALIEN_USER_ERROR("audit log " << path << " does not end with a line end: its last entry "
                                     << "was cut short. Run `galien audit verify-log " << path
                                     << "` and keep the file for inspection; nothing was appended");
    }
    const std::size_t newline = tail.size() >= 2 ? tail.rfind('\n', tail.size() - 2)
                                                 : std::string::npos;
    if (newline != std::string::npos) return tail.substr(newline + 1, tail.size() - newline - 2);
    chunk *= 2;
  }
  return tail.substr(0, tail.size() - 1);
}

// seq and hash of the entry to come after `line` (the current last line).
std::pair<std::int64_t, std::string> next_link(const std::string& line, const std::string& path) {
  if (line.empty()) return {1, kZeroHash};
  Json last = Json::parse(line, nullptr, false);
  if (last.is_discarded() || !last.is_object() || !last["seq"].is_number_integer()) {
    GALIEN_USER_ERROR("audit log " << path << ": the last line is not a galien audit entry; run "
                                   << "`galien audit verify-log " << path << "`; nothing was "
                                   << "appended");
  }
  return {last["seq"].get<std::int64_t>() + 1, sha256_hex(line)};
}

void write_all(int fd, const std::string& text, const std::string& path) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_io("append", path);
    data += n, left -= static_cast<std::size_t>(n);
  }
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// What is wrong with `line` as entry number `number` after an entry hashing to `prev`; "" if
// nothing.
std::string entry_problem(const std::string& line, std::int64_t number, const std::string& prev) {
  Json entry = Json::parse(line, nullptr, false);
  if (entry.is_discarded() || !entry.is_object()) return "not a JSON object (edited by hand?)";
  if (!entry["seq"].is_number_integer()) return "no integer 'seq'";
  const auto seq = entry["seq"].get<std::int64_t>();
  if (seq != number) {
    return "sequence number " + std::to_string(seq) + " where " + std::to_string(number) +
           " was expected: " + (seq > number ? "entries before it were deleted"
                                             : "entries were inserted or copied");
  }
  if (!entry["prev_sha256"].is_string()) return "no string 'prev_sha256'";
  if (entry["prev_sha256"].get<std::string>() != prev) {
    if (number == 1) return "prev_sha256 is not 64 zeros: the log does not start here";
    return "prev_sha256 does not match the SHA-256 of line " + std::to_string(number - 1) +
           ": line " + std::to_string(number - 1) + " was edited, or lines were inserted or " +
           "removed between them";
  }
  if (!entry["event"].is_string() || entry["event"].get<std::string>().empty())
    return "no 'event' name";
  if (!entry["time_utc"].is_string()) return "no 'time_utc'";
  return "";
}

}  // namespace

std::string audit_log_path(const Config& config) {
  if (!config.privacy.audit_log.empty()) return config.privacy.audit_log;
  return (fs::path(config.data.shard_dir) / "audit.jsonl").string();
}

Json append_audit_event(const std::string& log_path, const std::string& event,
                        const Json& fields) {
  GALIEN_CHECK(fields.is_object(), "audit event fields must be a JSON object");
  GALIEN_CHECK(!event.empty(), "audit event needs a name");
  const fs::path parent = fs::path(log_path).parent_path();
  if (!parent.empty()) make_directories(parent.string());
  FileDescriptor file(::open(log_path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0664));
  if (file.fd < 0) fail_io("open", log_path);
  // The lock covers reading the last entry and writing the next one: without it two ranks
  // could both chain to the same entry.
  while (::flock(file.fd, LOCK_EX) != 0) {
    if (errno != EINTR) fail_io("lock (flock; on Lustre mount with -o flock)", log_path);
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail_io("stat", log_path);
  auto [seq, prev] = next_link(last_line(file.fd, st.st_size, log_path), log_path);
  Json entry = {{"seq", seq}, {"prev_sha256", prev}, {"time_utc", utc_now_iso8601()}, {"event", event}};
  for (const auto& [key, value] : fields.items()) {
    GALIEN_CHECK(!entry.contains(key), "audit event field '" << key << "' is reserved");
    entry[key] = value;
  }
  // One line, one write: dump() escapes newlines; invalid UTF-8 is replaced, not thrown on.
  write_all(file.fd, entry.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", log_path);
  if (::fsync(file.fd) != 0) fail_io("flush (fsync)", log_path);
  return entry;
}

Json audit_actor() {
  std::string user = env_or("USER", "uid-" + std::to_string(::geteuid()));
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr)
    user = pw->pw_name;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
  std::string job = env_or("SLURM_JOB_ID", "");
  if (!job.empty() && std::getenv("SLURM_ARRAY_TASK_ID") != nullptr)
    job += "_" + env_or("SLURM_ARRAY_TASK_ID", "");
  if (job.empty()) job = "local-" + std::to_string(::getpid());
  return {{"user", user}, {"host", host}, {"job", job}};
}

void append_shards_created(const std::string& log_path, const ShardsCreatedEvent& event) {
  Json inputs = Json::array();
  for (const auto& [file, sha] : event.inputs) inputs.push_back({{"file", file}, {"sha256", sha}});
  Json fields = audit_actor();
  fields["galien_version"] = GALIEN_VERSION;
  fields["shard_dir"] = event.shard_dir;
  fields["inputs"] = inputs;
  fields["config_sha256"] = event.config_sha256;
  fields["key_id"] = event.key_id;
  fields["manifest_sha256"] = event.manifest_sha256;
  fields["num_shards"] = event.num_shards;
  fields["risk_gate"] = event.risk_gate;
  append_audit_event(log_path, "shards_created", fields);
}

void append_shards_read(const std::string& log_path, const ShardsReadEvent& event) {
  Json fields = audit_actor();
  fields["rank"] = event.rank;
  fields["world_size"] = event.world_size;
  fields["shard_dir"] = event.shard_dir;
  fields["manifest_sha256"] = event.manifest_sha256;
  fields["config_sha256"] = event.config_sha256;
  fields["key_id"] = event.key_id;
  fields["shards"] = event.shards;
  fields["reader_key_kind"] = event.reader_key_kind;
  fields["reader_key_id"] = event.reader_key_id;
  append_audit_event(log_path, "shards_read", fields);
}

void append_data_key_derived(const std::string& log_path, const DataKeyDerivedEvent& event) {
  Json fields = audit_actor();
  fields["shard_dir"] = event.shard_dir;
  fields["dataset_id"] = event.dataset_id;
  fields["controller_key_id"] = event.controller_key_id;
  fields["data_key_id"] = event.data_key_id;
  append_audit_event(log_path, "data_key_derived", fields);
}

AuditLogCheck verify_audit_log(const std::string& log_path) {
  if (!fs::exists(log_path)) {
    GALIEN_USER_ERROR("audit log " << log_path << " does not exist (galien shard writes it; "
                                   << "see privacy.audit_log)");
  }
  const std::string text = read_file(log_path);
  AuditLogCheck check;
  check.head_sha256 = kZeroHash;
  std::size_t pos = 0;
  for (std::int64_t number = 1; pos < text.size(); ++number) {
    const std::size_t newline = text.find('\n', pos);
    std::string problem;
    if (newline == std::string::npos) {
      problem = "no line end after the last entry: it was cut short (a crash during an append, "
                "or the file was truncated)";
    } else {
      problem = entry_problem(text.substr(pos, newline - pos), number, check.head_sha256);
    }
    if (!problem.empty()) {
      check.ok = false;
      check.bad_line = number;
      check.problem = problem;
      return check;
    }
    check.head_sha256 = sha256_hex(std::string_view(text).substr(pos, newline - pos));
    ++check.entries;
    pos = newline + 1;
  }
  return check;
}

}  // namespace galien
