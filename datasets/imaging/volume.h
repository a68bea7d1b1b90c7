// An image as read from any source, before intensity mapping and resampling: float voxels in
// [C, D, H, W] order (2D images have D = 1) with the physical spacing of each spatial axis.
// Readers of oriented sources (NIfTI, DICOM) hand it over already in RAS+ (orientation.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace galien {

struct Volume {
  std::int64_t channels = 1, depth = 1, height = 0, width = 0;
  std::array<double, 3> spacing{1.0, 1.0, 1.0};  // mm between slices, rows, columns
  bool volumetric = false;                        // a 3D source (DICOM series, NIfTI)
  // Orientation code of the source's stored axes (W, H, D), e.g. "LPS", when the voxels were
  // reoriented to RAS+; "" when the source has no usable orientation and is kept as stored.
  std::string orientation;
  std::vector<float> voxels;                      // [C, D, H, W]

  std::int64_t spatial_size() const { return depth * height * width; }
  std::int64_t size() const { return channels * spatial_size(); }
  // "[C, D, H, W]" (or "[C, H, W]" for a 2D image), for messages.
  std::string shape_text() const;
};

// Non-identifying attributes of one image that may reach a shard's /image_meta (an allow-list
// by construction: nothing else is ever copied from a source file's header).
struct ImageAttributes {
  std::string modality;                     // DICOM Modality, e.g. "CT"
  std::int64_t rows = 0, columns = 0, slices = 0;
  std::array<double, 3> spacing{0, 0, 0};   // source spacing (mm): slices, rows, columns
  double slice_thickness = 0;
  double rescale_slope = 1, rescale_intercept = 0;
  std::string photometric;                  // e.g. "MONOCHROME2"
  std::int64_t bits_stored = 0;
  std::string orientation;                  // source axes before reorientation, e.g. "LPS"
  // What a prediction needs to be written back onto the source file's own grid
  // (datasets/imaging/source_grid.h): the source's dims as stored (i, j, k: NIfTI's as
  // nibabel's img.shape[:3]; DICOM columns, rows, slices) and its voxel-to-world affine (4 x 4
  // row-major, RAS+ mm; NIfTI: nibabel's img.affine, sform when sform_code > 0, else qform, else
  // from pixdim; DICOM: from ImageOrientationPatient, PixelSpacing and ImagePositionPatient),
  // with the NIfTI xform code it came with (0 = from pixdim; 1 for DICOM). The affine holds the
  // scanner's coordinate origin and axes, not an identifier.
  std::array<std::int64_t, 3> source_shape{0, 0, 0};
  std::vector<double> affine;               // 16 values or empty
  int affine_code = 0;
  // Spacing (mm) of the voxels as stored in the shard, after the fit (resampling, crop/pad), in
  // the stored [D, H, W] order: what distances in mm (HD95) are measured with. Set for sources
  // with a physical spacing (NIfTI, DICOM).
  std::array<double, 3> grid_spacing{0, 0, 0};

  std::string to_json() const;  // only the fields that are set
};

// The inverse of to_json, for a sample's /image_meta entry ("" gives default attributes).
// UserError naming the key that is damaged (wrong type, wrong length, not JSON); keys it does
// not know are ignored, so a newer galien's extra keys do not stop an older reader.
ImageAttributes parse_image_attributes(const std::string& json);

}  // namespace galien
