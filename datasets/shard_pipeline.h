// `galien shard`: one pipeline for every dataset. A source (datasets/shard_source.h: a clinical
// table, or images with an optional table) gives pseudonymised samples grouped by patient; the
// pipeline splits them by patient, checks that no patient is in two splits (planned, then
// written), writes N HDF5 shards per split (plain or encrypted), the privacy report, the
// manifest (last: its presence means the directory is complete) and the audit record.
#pragma once

#include <string>

#include "core/config/config.h"
#include "datasets/manifest.h"

namespace galien {

struct ShardResult {
  std::string shard_dir;
  Manifest manifest;
};

// Writes config.data.shard_dir. Refuses to overwrite an existing manifest unless `overwrite`.
ShardResult run_shard(const Config& config, bool overwrite);

}  // namespace galien
