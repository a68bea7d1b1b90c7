// What every `galien shard` pipeline (tables, images) does with its output directory: refuse to
// overwrite finished shards unless asked, stamp the manifest, and remove shards of an earlier
// run that the new manifest does not list.
#pragma once

#include <optional>
#include <string>

#include "core/config/config.h"
#include "datasets/manifest.h"

namespace galien {

std::string utc_now_iso8601();
// UserError when data.shard_dir is unset, or already holds a manifest and !overwrite.
void check_output_dir(const Config& config, bool overwrite);
// With --overwrite, shards of an earlier run would only mislead; only files named like galien
// shards are touched.
void remove_stale_shards(const std::string& dir, const Manifest& manifest);
// The manifest's record of cv.* (docs/FORMAT.md); nullopt when cv.folds is 0.
std::optional<CvInfo> cv_info(const DataConfig& data);

}  // namespace galien
