#include "datasets/shard_output.h"

#include <ctime>
#include <filesystem>
#include <regex>
#include <set>

#include "core/error.h"

namespace galien {

namespace fs = std::filesystem;

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void check_output_dir(const Config& config, bool overwrite) {
  if (config.data.shard_dir.empty())
    GALIEN_USER_ERROR("data.shard_dir is not set: name the output directory");
  std::string manifest = (fs::path(config.data.shard_dir) / "manifest.json").string();
  if (!overwrite && fs::exists(manifest))
    GALIEN_USER_ERROR(manifest << " already exists: pass --overwrite to replace these shards, or "
                               << "set another data.shard_dir");
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

std::optional<CvInfo> cv_info(const DataConfig& data) {
  if (data.cv_folds < 2) return std::nullopt;
  return CvInfo{data.cv_folds, data.cv_repeats, data.cv_fold, data.cv_repeat};
}

}  // namespace galien
