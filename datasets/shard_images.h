// The optional datasets of shard format 1.1: per-sample images and masks (one chunk per
// sample, so a rank reads one sample without decompressing others), allow-listed image
// attributes, multi-label targets and survival time/event; since 1.2 the regression target
// (/target, float32 [N]). shard.cpp calls these after its
// own datasets; docs/FORMAT.md documents the layout.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "datasets/h5_handle.h"
#include "datasets/shard.h"

namespace galien {

// Writes whichever optional datasets `shard` holds. GALIEN_CHECK on inconsistent sizes.
void write_optional_datasets(hid_t file, const ShardData& shard, const std::string& path);
// Reads the optional datasets present in `file` (all but pixels: images.shape/dtype/has_mask
// and meta are filled, images.fill is not). Throws UserError naming `path` when one disagrees
// with num_samples or has the wrong type.
void read_optional_datasets(hid_t file, ShardData& shard, const std::string& path);

// The 16-bit IEEE float type of float16 images (what h5py reads as numpy float16).
H5Handle float16_type();

}  // namespace galien
