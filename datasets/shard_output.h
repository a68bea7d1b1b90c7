// What every `galien shard` pipeline (tables, images) does with its output directory: refuse to
// overwrite finished shards unless asked, stamp the manifest, and remove shards of an earlier
// run that the new manifest does not list.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"  // utc_now_iso8601, for the manifest stamp
#include "core/config/config.h"
#include "datasets/manifest.h"

namespace galien {

// UserError when data.shard_dir is unset, or already holds a manifest and !overwrite.
void check_output_dir(const Config& config, bool overwrite);

// Held for the whole of one `galien shard` run: an exclusive flock on DIR/.galien-shard.lock
// (DIR created if needed). Two runs into one directory at once would otherwise both succeed
// and leave one run's manifest over a mix of both runs' shards (bench/fault/concurrent_shard.py,
// docs/RELIABILITY.md). The second run is refused at once with a UserError naming the
// directory; the lock goes with the process, so a killed run never leaves it held.
class ShardDirLock {
 public:
  explicit ShardDirLock(const std::string& dir);
  ~ShardDirLock();
  ShardDirLock(const ShardDirLock&) = delete;
  ShardDirLock& operator=(const ShardDirLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};
// With --overwrite, shards of an earlier run would only mislead; only files named like galien
// shards are touched.
void remove_stale_shards(const std::string& dir, const Manifest& manifest);
// A `galien shard` killed mid-write leaves its atomic writer's temporary (".NAME.tmp-PID",
// ciphertext when encrypted) in the directory. Called with the directory's lock held, so no
// other galien shard is writing there: removes those whose process is gone. Returns how many.
int remove_stale_temporaries(const std::string& dir);
// The manifest's record of cv.* (docs/FORMAT.md); nullopt when cv.folds is 0.
std::optional<CvInfo> cv_info(const DataConfig& data);

}  // namespace galien
