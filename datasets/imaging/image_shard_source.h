// The image source of `galien shard` (data.images.format != none; datasets/shard_source.h):
// image files -> pseudonymised patient keys -> optional join with the clinical table (data.csv,
// one row per patient) or the PNG labels table (one row per image) -> patient-level split (or
// the source's own splits) -> per-sample chunked image shards. docs/imaging.md.
#pragma once

#include <memory>

#include "core/config/config.h"
#include "datasets/shard_source.h"
#include "privacy/key_file.h"

namespace galien {

// What an image dataset needs of the config (task, segmentation classes, no external test
// table), checked before the output directory is touched.
void check_image_shard_settings(const Config& config);

// Opens the image source and reads and gates its clinical table; pixels are read while the
// shards are written.
std::unique_ptr<ShardSource> open_image_shard_source(const Config& config, const SecretKey& key);

}  // namespace galien
