#include "datasets/shard_output.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>

#include "core/error.h"

namespace galien {

namespace fs = std::filesystem;

void check_output_dir(const Config& config, bool overwrite) {
  if (config.data.shard_dir.empty())
    GALIEN_USER_ERROR("data.shard_dir is not set: name the output directory");
  std::string manifest = (fs::path(config.data.shard_dir) / "manifest.json").string();
  if (!overwrite && fs::exists(manifest))
    GALIEN_USER_ERROR(manifest << " already exists: pass --overwrite to replace these shards, or "
                               << "set another data.shard_dir");
}

ShardDirLock::ShardDirLock(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  path_ = (fs::path(dir) / ".galien-shard.lock").string();
  for (;;) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      GALIEN_USER_ERROR("cannot create " << path_ << " (" << std::strerror(errno)
                                         << "): check that data.shard_dir is writable");
    }
    int rc = 0;
    while ((rc = ::flock(fd_, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK) {
        GALIEN_USER_ERROR("another `galien shard` is writing " << dir << " now (" << path_
                          << " is locked): wait for it to end, or set another data.shard_dir");
      }
      GALIEN_USER_ERROR("cannot lock " << path_ << " (flock: " << std::strerror(err)
                                       << "; on Lustre mount with -o flock)");
    }
    // The holder before us may have unlinked the file after we opened it: then our lock is on
    // a file nobody else will open. Only a lock on the file the path names now counts.
    struct stat held {}, named {};
    if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      return;
    }
    ::close(fd_);
    fd_ = -1;
  }
}

ShardDirLock::~ShardDirLock() {
  if (fd_ < 0) return;
  // Unlinked while still held, so a finished run leaves the directory as it was; a killed run
  // leaves an empty, unlocked file that the next run simply locks.
  ::unlink(path_.c_str());
  ::close(fd_);  // releases the flock
}

void remove_stale_shards(const std::string& dir, const Manifest& manifest) {
  static const std::regex kShardName("(train|val|test)-[0-9]{5}\\.h5(\\.enc)?");
  std::set<std::string> listed;
  for (const auto& [name, split] : manifest.splits)
    for (const ShardEntry& shard : split.shards) listed.insert(shard.file);
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (std::regex_match(file, kShardName) && listed.count(file) == 0) fs::remove(entry.path());
  }
}

int remove_stale_temporaries(const std::string& dir) {
  // core/fs.cpp write_file_atomic's temporaries: "." + file name + ".tmp-" + writer's PID.
  static const std::regex kTemporary("\\..+\\.tmp-([0-9]+)");
  int removed = 0;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    std::smatch match;
    if (!entry.is_regular_file() || !std::regex_match(file, match, kTemporary)) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(match[1].str()));
    if (pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH)) {
      if (fs::remove(entry.path(), ec)) ++removed;
    }
  }
  return removed;
}

std::optional<CvInfo> cv_info(const DataConfig& data) {
  if (data.cv_folds < 2) return std::nullopt;
  return CvInfo{data.cv_folds, data.cv_repeats, data.cv_fold, data.cv_repeat};
}

}  // namespace galien
