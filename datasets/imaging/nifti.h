// NIfTI-1 single-file volumes (.nii, .nii.gz): the 348-byte header, then voxels from
// vox_offset. Dimensions 1-3 are x, y, z (z = 1 for a 2D image); dimension 4 (modalities, as in
// the Medical Segmentation Decathlon's multi-modal images) becomes channels. scl_slope/scl_inter
// are applied. Volumes are reoriented to RAS+ from the sform (else the qform) by permuting and
// flipping axes (orientation.h); Volume::orientation keeps the code they had ("" when the file
// has neither: kept as stored).
#pragma once

#include <string>

#include "datasets/imaging/volume.h"

namespace galien {

// UserError naming the file for one that is not NIfTI-1 (NIfTI-2 and .hdr/.img pairs are
// refused by name), truncated, or of an unsupported data type: as `shown` when given (the
// pipeline's name for a case, since a case's file name is its patient key), else as
// "NIfTI file PATH".
Volume read_nifti(const std::string& path, const std::string& shown = "");

// The geometry read_nifti would give (channels, RAS+ depth/height/width, spacing, orientation)
// from the header alone, without inflating the voxels: `voxels` stays empty. For a pass over
// every case before writing (the largest stored size of a segmentation dataset). Errors as
// read_nifti's for the header; a truncated voxel block is found by read_nifti.
Volume read_nifti_header(const std::string& path, const std::string& shown = "");

}  // namespace galien
