// One canonical orientation for every volume (docs/imaging.md, "Orientation"): RAS+, i.e. the
// stored columns (W) increase towards the patient's right, rows (H) anteriorly and slices (D)
// superiorly, as nibabel's as_closest_canonical. Reached by permuting and flipping axes only,
// so no voxel value changes; oblique acquisitions take the closest axes (no interpolation).
// NIfTI readers give directions from sform/qform (RAS already), DICOM from
// ImageOrientationPatient and the slice order (LPS, converted with lps_to_ras).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "datasets/imaging/volume.h"

namespace galien {

using Vector3 = std::array<double, 3>;
// World direction (RAS+: +x right, +y anterior, +z superior) in which each stored axis
// increases: [0] columns (W, NIfTI i), [1] rows (H, j), [2] slices (D, k). Lengths are ignored.
using AxisDirections = std::array<Vector3, 3>;

// DICOM patient coordinates (LPS+: +x left, +y posterior, +z superior) to RAS+.
inline Vector3 lps_to_ras(const Vector3& v) { return {-v[0], -v[1], v[2]}; }

// The letters of the directions, stored axes W, H, D in that order, as nibabel's aff2axcodes:
// "RAS" is canonical, "LPS" a DICOM axial series as stored. Each stored axis takes its closest
// world axis, in axis order, and each world axis is taken once. nullopt when a direction is
// zero or not finite (no usable orientation).
std::optional<std::string> orientation_code(const AxisDirections& directions);

// Permutes and flips `v` (voxels of every channel, and spacing) to RAS+ and sets v.orientation
// to the code it had. Returns false, leaving `v` untouched, when the directions are unusable,
// or when `v` is a single slice (depth 1) whose slice axis is not the superior-inferior one: a
// sagittal or coronal slice would become a column of voxels, so it stays as stored. A volume
// without voxels (geometry only) gets its sizes, spacing and code moved the same way.
bool reorient_to_ras(Volume& v, const AxisDirections& directions);

// A per-axis triple of a reoriented volume in [D, H, W] order (sizes, spacing) put back in the
// source's own [slices, rows, columns] order, given the source's orientation code; unchanged
// for an empty code. What /image_meta records, so a prediction can be mapped back.
std::array<double, 3> source_order(const std::array<double, 3>& canonical,
                                   const std::string& code);
// The inverse of source_order: a triple of the source's [slices, rows, columns] in the
// reoriented [D, H, W] order. Unchanged for an empty code.
std::array<double, 3> canonical_order(const std::array<double, 3>& source,
                                      const std::string& code);

// The directions of an orientation code ("LPS": columns towards L, rows P, slices S); nullopt
// when it is not 3 letters naming each world axis once (one of R/L, A/P, S/I each).
std::optional<AxisDirections> directions_of(const std::string& code);

// The inverse of reorient_to_ras: `v`, in RAS+ (as reorient_to_ras left it), permuted and
// flipped back to the stored axes of `code` (voxels of every channel, and spacing), so that
// restore_source_orientation(reorient_to_ras(x)) == x voxel for voxel. v.orientation becomes
// "" (as stored). Returns false, leaving `v` untouched, for a code directions_of refuses.
bool restore_source_orientation(Volume& v, const std::string& code);

}  // namespace galien
