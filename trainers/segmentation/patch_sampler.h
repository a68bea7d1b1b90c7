// Where a segmentation training patch is cut from a case, as nnU-Net samples them: a share of
// the patches (trainer.foreground_fraction, nnU-Net's 1/3) is centred on a random voxel of a
// random foreground class present in the case, the others are placed uniformly; a case smaller
// than the patch along an axis is padded (trainer.patch_padding). With the augmentation draws
// (flips per axis, quarter turns in-plane, intensity scale and shift) the plan depends only on
// (trainer.seed, epoch, sample), never on the rank, the batch or timing: 1 and N ranks cut the
// same patches and a resumed run cuts them again exactly. No LibTorch: the cutting itself is
// in trainers/tasks/segmentation.cpp.
#pragma once

#include <array>
#include <cstdint>

#include "core/config/config.h"
#include "datasets/sample_ownership.h"

namespace galien {

using Size3 = std::array<std::int64_t, 3>;  // D, H, W

struct PatchPlan {
  Size3 origin{0, 0, 0};          // the patch's first voxel in the case; < 0 or past the case's
                                  // extent where the patch is padded
  bool foreground = false;        // centred on a foreground voxel
  std::array<bool, 3> flip{};     // along D, H, W (after cutting)
  int quarter_turns = 0;          // in the H-W plane (square patches)
  double scale = 1.0, shift = 0.0;  // intensity: x * scale + shift
};

struct PatchSettings {
  Size3 patch{1, 1, 1};
  double foreground_fraction = 1.0 / 3.0;
  AugmentConfig augment;
  std::uint64_t seed = 0;
};

// The plan for one case: `mask` is its labels on the stored grid (`stored`, row-major D, H, W)
// of which the first `extent` voxels per axis are the case (the rest is a shard's padding).
// Labels >= num_classes are not foreground candidates (the shard pipeline refuses them).
PatchPlan plan_patch(const PatchSettings& settings, const std::uint8_t* mask, const Size3& stored,
                     const Size3& extent, int num_classes, const SampleRef& sample,
                     std::uint64_t epoch);

// A uniform double in [0, 1) from 53 bits (the same on every standard library, unlike
// std::uniform_real_distribution).
double unit_interval(std::uint64_t bits);

}  // namespace galien
