// NIfTI-1 single-file writer (.nii, or .nii.gz through zlib): what `galien predict` writes a
// segmentation (or its class probabilities) with, on the source image's own grid
// (datasets/imaging/source_grid.h), so nibabel, ITK-SNAP and 3D Slicer overlay it on the
// original without any step (docs/imaging.md, "Predictions in the source geometry").
//
// Header: sform and qform both from the affine (the qform from its rotation part, made
// orthogonal and turned into a quaternion with qfac, as nibabel's set_qform; pixdim[1..3] the
// affine's column norms), both with the same xform code; xyzt_units mm; vox_offset 352 (no
// extension); scl_slope 1, scl_inter 0; uint8 labels carry intent NIFTI_INTENT_LABEL (1002).
// NIfTI-1 has no 16-bit float type (nibabel refuses float16 data for NIfTI and reads no such
// code), so probabilities are float32 (datatype 16).
#pragma once

#include <string>
#include <vector>

#include "datasets/imaging/volume.h"

namespace galien {

enum class NiftiType {
  kUint8,    // datatype 2: labels 0-255
  kFloat32,  // datatype 16: probabilities (or any real values)
};

struct NiftiWriteOptions {
  bool overwrite = false;  // replace an existing file (else UserError naming it)
  // sform_code and qform_code: pass ImageAttributes::affine_code to keep the source's (1
  // scanner, 2 aligned, 3 Talairach, 4 MNI, ...); 0 or less gives 2, nibabel's default.
  int xform_code = 2;
  std::string description;  // descrip, at most 79 bytes kept; never a patient identifier
};

// `volume`: [C, D, H, W] in the file's voxel order (W = i fastest, then H = j, D = k), as
// to_source_grid returns it; C > 1 becomes NIfTI's 4th dimension. `affine`: 16 values,
// row-major, voxel (i, j, k) to RAS+ mm (ImageAttributes::affine). Written atomically (a
// temporary file in the same folder, fsync, then link or rename), mode 0600. UserError naming
// the file when it exists (and !overwrite) or cannot be written, when the affine is not 16
// finite values with a last row 0 0 0 1 and an invertible 3 x 3 part, or when a uint8 volume
// holds a value that is not an integer in 0-255.
void write_nifti(const std::string& path, const Volume& volume, const std::vector<double>& affine,
                 NiftiType type, const NiftiWriteOptions& options = {});

}  // namespace galien
