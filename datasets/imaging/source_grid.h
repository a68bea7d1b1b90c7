// Predictions back in the source geometry (docs/imaging.md, "Predictions in the source
// geometry"): a label (or probability) volume on a sample's stored grid, mapped back onto the
// voxel grid of the file it came from, so that it overlays the original image with the
// original affine (datasets/imaging/nifti_writer.h writes it).
//
// The shard pipeline did, per image: reorient to RAS+ (orientation.h: permute/flip), then fit
// the dataset's layout (image_transform.cpp: resample to data.images.spacing and centred
// crop/pad to data.images.shape, or resample to data.images.shape, or nothing). This undoes
// both, in reverse order, from the sample's /image_meta (volume.h, ImageAttributes).
#pragma once

#include "core/config/config.h"
#include "datasets/imaging/volume.h"

namespace galien {

// `stored`: [C, D, H, W] on the stored grid in RAS+ (a case stored with padding must be cropped
// to its extent first); C channels of labels or probabilities. `attributes`: the sample's
// /image_meta (parse_image_attributes); `data`: the data.* the shards were made with.
// Returns the volume in the source file's own voxel order and dims (NIfTI: i fastest, then j,
// k; Volume::width = i), C channels, with the source spacing. Undoes, in order:
//   - the centred crop/pad to data.images.shape (voxels the fit cropped away come back as 0,
//     background; voxels it padded are dropped);
//   - the resampling (nearest neighbour, pixel centres aligned as the forward resampling did),
//     to the pre-fit size;
//   - the reorientation, for the recorded orientation code.
// Exact (every voxel equal) where the fit did not resample. UserError when the attributes lack
// the source grid (a shard of an older galien, or a source without one), carry a damaged
// orientation code, or do not match `stored` or `data` (shards made with other data.images.*).
Volume to_source_grid(const Volume& stored, const ImageAttributes& attributes,
                      const DataConfig& data);

}  // namespace galien
