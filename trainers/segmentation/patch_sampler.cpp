#include "trainers/segmentation/patch_sampler.h"

#include <algorithm>
#include <random>
#include <vector>

#include "core/random.h"

namespace galien {

double unit_interval(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

namespace {

// A start along one axis: uniform in [0, extent - patch] when the patch fits; when it does
// not, the patch covers the whole axis and the case sits at a uniform offset inside it.
std::int64_t uniform_start(std::mt19937_64& rng, std::int64_t extent, std::int64_t patch) {
  const std::int64_t room = extent - patch;
  if (room >= 0) return static_cast<std::int64_t>(uniform_below(rng, static_cast<std::uint64_t>(room) + 1));
  return -static_cast<std::int64_t>(uniform_below(rng, static_cast<std::uint64_t>(-room) + 1));
}

// A start that puts `voxel` at the patch centre, moved as little as needed for the patch to
// stay inside the case (or, for an axis shorter than the patch, to cover it whole).
std::int64_t centred_start(std::int64_t voxel, std::int64_t extent, std::int64_t patch) {
  const std::int64_t start = voxel - patch / 2;
  if (extent >= patch) return std::clamp<std::int64_t>(start, 0, extent - patch);
  return std::clamp<std::int64_t>(start, extent - patch, 0);
}

// A random voxel (flat index over the extent) of a random foreground class present, or -1.
std::int64_t foreground_voxel(std::mt19937_64& rng, const std::uint8_t* mask, const Size3& stored,
                              const Size3& extent, int num_classes) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(num_classes), 0);
  for (std::int64_t d = 0; d < extent[0]; ++d)
    for (std::int64_t h = 0; h < extent[1]; ++h) {
      const std::uint8_t* row = mask + (d * stored[1] + h) * stored[2];
      for (std::int64_t w = 0; w < extent[2]; ++w)
        if (row[w] > 0 && row[w] < num_classes) ++counts[row[w]];
    }
  std::vector<int> present;
  for (int c = 1; c < num_classes; ++c)
    if (counts[static_cast<std::size_t>(c)] > 0) present.push_back(c);
  if (present.empty()) return -1;
  const int cls = present[uniform_below(rng, present.size())];
  std::int64_t k = static_cast<std::int64_t>(
      uniform_below(rng, static_cast<std::uint64_t>(counts[static_cast<std::size_t>(cls)])));
  for (std::int64_t d = 0; d < extent[0]; ++d)
    for (std::int64_t h = 0; h < extent[1]; ++h) {
      const std::uint8_t* row = mask + (d * stored[1] + h) * stored[2];
      for (std::int64_t w = 0; w < extent[2]; ++w)
        if (row[w] == cls && k-- == 0) return (d * extent[1] + h) * extent[2] + w;
    }
  return -1;  // unreachable: the class was counted
}

}  // namespace

PatchPlan plan_patch(const PatchSettings& settings, const std::uint8_t* mask, const Size3& stored,
                     const Size3& extent, int num_classes, const SampleRef& sample,
                     std::uint64_t epoch) {
  std::mt19937_64 rng(mix_seed(mix_seed(settings.seed, epoch, 0x5e9),
                               static_cast<std::uint64_t>(sample.shard),
                               static_cast<std::uint64_t>(sample.index)));
  PatchPlan plan;
  const Size3& patch = settings.patch;
  // Draws in a fixed order, each always made, so one setting does not shift the others.
  const bool want_foreground = unit_interval(rng()) < settings.foreground_fraction;
  const std::int64_t voxel =
      want_foreground ? foreground_voxel(rng, mask, stored, extent, num_classes) : -1;
  if (voxel >= 0) {
    plan.foreground = true;
    const Size3 at{voxel / (extent[1] * extent[2]), (voxel / extent[2]) % extent[1],
                   voxel % extent[2]};
    for (int a = 0; a < 3; ++a) plan.origin[a] = centred_start(at[a], extent[a], patch[a]);
  } else {
    for (int a = 0; a < 3; ++a) plan.origin[a] = uniform_start(rng, extent[a], patch[a]);
  }
  const AugmentConfig& aug = settings.augment;
  const bool flips[3] = {aug.dflip, aug.vflip, aug.hflip};
  for (int a = 0; a < 3; ++a) {
    const bool heads = uniform_below(rng, 2) == 1;
    plan.flip[a] = flips[a] && heads;
  }
  const int turns = static_cast<int>(uniform_below(rng, 4));
  if (aug.rotate90) plan.quarter_turns = turns;
  const double u = 2.0 * unit_interval(rng()) - 1.0, v = 2.0 * unit_interval(rng()) - 1.0;
  if (aug.intensity > 0) {
    plan.scale = 1.0 + aug.intensity * u;
    plan.shift = aug.intensity * v;
  }
  return plan;
}

}  // namespace galien
