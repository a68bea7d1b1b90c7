// `galien shard` for images (data.images.format != none): image source -> pseudonymised patient
// keys -> optional join with the clinical table (data.csv) -> patient-level split (or the
// source's own splits) -> per-sample chunked image shards + manifest.json. docs/imaging.md.
#pragma once

#include "core/config/config.h"
#include "datasets/shard_pipeline.h"

namespace galien {

// Writes config.data.shard_dir. Refuses to overwrite an existing manifest unless `overwrite`.
ShardResult run_image_shard(const Config& config, bool overwrite);

}  // namespace galien
