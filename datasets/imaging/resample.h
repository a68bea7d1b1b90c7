// Geometry of volumes: resampling to a shape (trilinear for images, nearest for masks, pixel
// centres aligned as in torch's align_corners=False), to a spacing, and centred crop/pad.
#pragma once

#include <array>
#include <cstdint>

#include "datasets/imaging/volume.h"

namespace galien {

enum class Interpolation { kLinear, kNearest };

// Every channel to depth x height x width; spacing scales with the size change.
Volume resample(const Volume& v, std::array<std::int64_t, 3> size, Interpolation how);
// To `spacing` (mm: slices, rows, columns): size = round(size * old / new), at least 1.
Volume resample_to_spacing(const Volume& v, std::array<double, 3> spacing, Interpolation how);
// The size resample_to_spacing gives (needs only v's sizes and spacing, not its voxels).
std::array<std::int64_t, 3> spacing_size(const Volume& v, std::array<double, 3> spacing);
// Centred crop and/or pad (with `fill`) to depth x height x width.
Volume crop_or_pad(const Volume& v, std::array<std::int64_t, 3> size, float fill);

}  // namespace galien
