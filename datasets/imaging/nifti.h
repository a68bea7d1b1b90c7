// NIfTI-1 single-file volumes (.nii, .nii.gz): the 348-byte header, then voxels from
// vox_offset. Dimensions 1-3 are x, y, z (z = 1 for a 2D image); dimension 4 (modalities, as in
// the Medical Segmentation Decathlon's multi-modal images) becomes channels. scl_slope/scl_inter
// are applied. The orientation (qform/sform) is not applied: images and their masks share it.
#pragma once

#include <string>

#include "datasets/imaging/volume.h"

namespace galien {

// UserError naming `path` for a file that is not NIfTI-1 (NIfTI-2 and .hdr/.img pairs are
// refused by name), truncated, or of an unsupported data type.
Volume read_nifti(const std::string& path);

}  // namespace galien
