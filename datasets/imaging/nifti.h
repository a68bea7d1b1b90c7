// NIfTI-1 single-file volumes (.nii, .nii.gz): the 348-byte header, then voxels from
// vox_offset. Dimensions 1-3 are x, y, z (z = 1 for a 2D image); dimension 4 (modalities, as in
// the Medical Segmentation Decathlon's multi-modal images) becomes channels. scl_slope/scl_inter
// are applied. Volumes are reoriented to RAS+ from the sform (else the qform) by permuting and
// flipping axes (orientation.h); Volume::orientation keeps the code they had ("" when the file
// has neither: kept as stored).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/imaging/volume.h"

namespace galien {

// The file's own voxel grid, before reorientation: what a prediction needs to be written back
// onto it (datasets/imaging/source_grid.h, nifti_writer.h).
struct NiftiGeometry {
  std::array<std::int64_t, 3> shape{1, 1, 1};  // dim[1..3]: i, j, k (nibabel's img.shape[:3])
  // Voxel (i, j, k) to world (RAS+ mm), 4 x 4 row-major, exactly nibabel's img.affine
  // (get_best_affine): the sform when sform_code != 0, else the qform (quaternion, qfac,
  // pixdim, qoffset) when qform_code != 0, else the pixdim diagonal with x flipped and the
  // origin at the grid's centre (nibabel's get_base_affine; pixdim <= 0 taken as 1).
  std::vector<double> affine;
  int xform_code = 0;  // sform_code or qform_code of the form used; 0 = from pixdim
};

// UserError naming the file for one that is not NIfTI-1 (NIfTI-2 and .hdr/.img pairs are
// refused by name), truncated, or of an unsupported data type: as `shown` when given (the
// pipeline's name for a case, since a case's file name is its patient key), else as
// "NIfTI file PATH".
// `geometry`, when given, receives the file's grid and affine.
Volume read_nifti(const std::string& path, const std::string& shown = "",
                  NiftiGeometry* geometry = nullptr);

// The geometry read_nifti would give (channels, RAS+ depth/height/width, spacing, orientation)
// from the header alone, without inflating the voxels: `voxels` stays empty. For a pass over
// every case before writing (the largest stored size of a segmentation dataset). Errors as
// read_nifti's for the header; a truncated voxel block is found by read_nifti.
Volume read_nifti_header(const std::string& path, const std::string& shown = "");

}  // namespace galien
