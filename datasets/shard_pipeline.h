// `galien shard`: clinical CSV -> drop identifiers -> pseudonymise -> patient-level stratified
// split -> train-only standardisation -> N HDF5 shards per split + manifest.json.
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
