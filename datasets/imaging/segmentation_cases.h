// `galien shard` with data.task: segmentation (docs/imaging.md, "Segmentation datasets"): the
// checks and counts that only segmentation needs, apart from the image pipeline that calls
// them. A case is one image + its label mask (NIfTI imagesTr/ + labelsTr/); data.classes names
// the mask values 0..K-1 in order. Errors name a case by its origin ("NIfTI case 5 of 210 in
// DIR"), never by its file name, which is its patient key.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/imaging/image_samples.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/image_transform.h"

namespace galien {

// Before any input is read: data.images.format nifti, data.classes with 2 to 256 distinct
// names, no clinical table. UserError naming the key and what to set.
void check_segmentation_config(const DataConfig& config);
// After the source is open: it has masks (labelsTr/). UserError naming the folder.
void check_source_has_masks(const ImageSource& source, const DataConfig& config);

// UserError naming `origin` when `mask` holds a value that is not an integer in [0, K), K =
// classes.size(): lists the distinct values found (the first 16) and the allowed range.
void check_mask_labels(const Volume& mask, const std::vector<std::string>& classes,
                       const std::string& origin);

// The stored size of every sample (index as in `samples`) and the largest of them, from the
// source's geometry alone (NIfTI headers: no voxel is read). Checks each case's channels and
// its mask's geometry on the way, so a bad case stops the run before any shard is written.
struct CaseSizes {
  std::vector<std::array<std::int64_t, 3>> stored;  // [D, H, W] per sample
  std::array<std::int64_t, 3> largest{0, 0, 0};
  Volume first;  // the first sample's geometry, for ImageTransform::layout
};
CaseSizes measure_cases(const ImageSource& source, const ImageSamples& samples,
                        const ImageTransform& transform);

// Adds 1 to counts[k] for every class k present in the stored mask's first `extent` voxels of
// each axis of `shape` [D, H, W] (the rest is padding).
void count_present_classes(const std::uint8_t* mask, const std::array<std::int64_t, 3>& extent,
                           const std::array<std::int64_t, 3>& shape,
                           std::vector<std::int64_t>& counts);

// The class names that no case of `train_counts` holds, for the warning `galien shard` prints.
std::vector<std::string> absent_classes(const std::vector<std::string>& classes,
                                        const std::vector<std::int64_t>& train_counts);

}  // namespace galien
