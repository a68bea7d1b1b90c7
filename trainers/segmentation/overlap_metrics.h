// Per-case overlap metrics of a predicted label volume against the reference, per foreground
// class (labels 1 .. K-1), as the Medical Segmentation Decathlon and nnU-Net report them:
//  - Dice 2|P n G| / (|P| + |G|); NaN when the class is absent from both (nnU-Net leaves such a
//    case out of the class mean, and so do the means here);
//  - HD95: the 95th percentile Hausdorff distance in mm between the surfaces of P and G, the
//    larger of the two directed 95th percentiles (MONAI compute_hausdorff_distance,
//    percentile=95); surface voxels are those with a 6-neighbour outside the class (the volume
//    border counts as outside); distances use the voxel spacing, so anisotropic volumes are
//    measured in mm. NaN when the class is absent from P or from G (no surface to measure:
//    Dice is 0 or NaN for that case and says what happened).
// Distances come from an exact Euclidean distance transform (Felzenszwalb and Huttenlocher
// 2012, separable, with per-axis spacing): O(voxels) per class, not O(surface^2).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace galien {

struct OverlapScores {
  std::vector<double> dice;  // [K-1]: classes 1 .. K-1
  std::vector<double> hd95;  // [K-1], mm
};

// `predicted`, `truth`: labels of `size` (D, H, W) voxels, row-major; `spacing_mm`: D, H, W.
OverlapScores overlap_scores(const std::uint8_t* predicted, const std::uint8_t* truth,
                             const std::array<std::int64_t, 3>& size,
                             const std::array<double, 3>& spacing_mm, int num_classes);

// Squared Euclidean distance (mm^2) from every voxel to the nearest voxel where `in_set` is
// true; +infinity everywhere when the set is empty. Exposed for tests.
std::vector<double> squared_distance_to_set(const std::vector<bool>& in_set,
                                            const std::array<std::int64_t, 3>& size,
                                            const std::array<double, 3>& spacing_mm);

// The q-th percentile (0-100) with linear interpolation between order statistics, as numpy's
// default; NaN for no values.
double percentile(std::vector<double> values, double q);

}  // namespace galien
