// Segmentation parts without shards: Dice and HD95 against brute force, the distance transform,
// patch plans (determinism, foreground centring, padding), sliding-window tiling and
// reconstruction, and the dense losses against their definitions.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <random>

#include "models/loss_registry.h"
#include "models/losses.h"
#include "trainers/segmentation/overlap_metrics.h"
#include "trainers/segmentation/patch_sampler.h"
#include "trainers/segmentation/sliding_window.h"

namespace galien {
namespace {

using Size = std::array<std::int64_t, 3>;

std::vector<std::uint8_t> random_blobs(const Size& size, std::uint64_t seed, int classes) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(size[0] * size[1] * size[2]), 0);
  for (int cls = 1; cls < classes; ++cls) {
    const double cd = rng() % size[0], ch = rng() % size[1], cw = rng() % size[2];
    const double r = 1.5 + static_cast<double>(rng() % 3);
    for (std::int64_t d = 0; d < size[0]; ++d)
      for (std::int64_t h = 0; h < size[1]; ++h)
        for (std::int64_t w = 0; w < size[2]; ++w)
          if ((d - cd) * (d - cd) + (h - ch) * (h - ch) + (w - cw) * (w - cw) <= r * r)
            labels[static_cast<std::size_t>((d * size[1] + h) * size[2] + w)] =
                static_cast<std::uint8_t>(cls);
  }
  return labels;
}

// Surface voxels as overlap_metrics defines them, by brute force.
std::vector<Size> surface_points(const std::vector<std::uint8_t>& l, const Size& s, int cls) {
  auto in = [&](std::int64_t d, std::int64_t h, std::int64_t w) {
    return d >= 0 && h >= 0 && w >= 0 && d < s[0] && h < s[1] && w < s[2] &&
           l[static_cast<std::size_t>((d * s[1] + h) * s[2] + w)] == cls;
  };
  std::vector<Size> out;
  for (std::int64_t d = 0; d < s[0]; ++d)
    for (std::int64_t h = 0; h < s[1]; ++h)
      for (std::int64_t w = 0; w < s[2]; ++w)
        if (in(d, h, w) && (!in(d - 1, h, w) || !in(d + 1, h, w) || !in(d, h - 1, w) ||
                            !in(d, h + 1, w) || !in(d, h, w - 1) || !in(d, h, w + 1)))
          out.push_back({d, h, w});
  return out;
}

double brute_hd95(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b,
                  const Size& s, const std::array<double, 3>& mm, int cls) {
  const auto pa = surface_points(a, s, cls), pb = surface_points(b, s, cls);
  auto directed = [&](const std::vector<Size>& from, const std::vector<Size>& to) {
    std::vector<double> d;
    for (const auto& p : from) {
      double best = std::numeric_limits<double>::infinity();
      for (const auto& q : to) {
        double sum = 0;
        for (int k = 0; k < 3; ++k) sum += std::pow((p[k] - q[k]) * mm[k], 2);
        best = std::min(best, std::sqrt(sum));
      }
      d.push_back(best);
    }
    return percentile(d, 95);
  };
  return std::max(directed(pa, pb), directed(pb, pa));
}

TEST(OverlapMetrics, DiceAndHd95MatchBruteForceOnAnisotropicVoxels) {
  const Size size{7, 11, 13};
  const std::array<double, 3> mm{2.5, 0.8, 1.1};
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto truth = random_blobs(size, seed, 3), predicted = random_blobs(size, seed + 100, 3);
    const OverlapScores scores = overlap_scores(predicted.data(), truth.data(), size, mm, 3);
    ASSERT_EQ(scores.dice.size(), 2u);
    for (int cls = 1; cls < 3; ++cls) {
      std::int64_t p = 0, g = 0, both = 0;
      for (std::size_t i = 0; i < truth.size(); ++i) {
        p += predicted[i] == cls;
        g += truth[i] == cls;
        both += predicted[i] == cls && truth[i] == cls;
      }
      EXPECT_NEAR(scores.dice[cls - 1], 2.0 * both / (p + g), 1e-12) << "seed " << seed;
      EXPECT_NEAR(scores.hd95[cls - 1], brute_hd95(predicted, truth, size, mm, cls), 1e-9)
          << "seed " << seed << " class " << cls;
    }
  }
}

TEST(OverlapMetrics, PerfectPredictionAndAbsentClasses) {
  const Size size{4, 5, 6};
  auto truth = random_blobs(size, 3, 2);
  OverlapScores same = overlap_scores(truth.data(), truth.data(), size, {1, 1, 1}, 3);
  EXPECT_DOUBLE_EQ(same.dice[0], 1.0);
  EXPECT_DOUBLE_EQ(same.hd95[0], 0.0);
  EXPECT_TRUE(std::isnan(same.dice[1]));  // class 2 in neither: left out of means
  EXPECT_TRUE(std::isnan(same.hd95[1]));
  std::vector<std::uint8_t> empty(truth.size(), 0);
  OverlapScores missed = overlap_scores(empty.data(), truth.data(), size, {1, 1, 1}, 2);
  EXPECT_DOUBLE_EQ(missed.dice[0], 0.0);
  EXPECT_TRUE(std::isnan(missed.hd95[0]));
}

TEST(OverlapMetrics, DistanceTransformIsExact) {
  const Size size{5, 9, 8};
  const std::array<double, 3> mm{3.0, 0.5, 1.25};
  std::vector<bool> set(5 * 9 * 8, false);
  set[(1 * 9 + 2) * 8 + 3] = set[(4 * 9 + 8) * 8 + 0] = set[(2 * 9 + 5) * 8 + 7] = true;
  const auto map = squared_distance_to_set(set, size, mm);
  for (std::int64_t d = 0; d < 5; ++d)
    for (std::int64_t h = 0; h < 9; ++h)
      for (std::int64_t w = 0; w < 8; ++w) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < set.size(); ++i) {
          if (!set[i]) continue;
          const std::int64_t qd = i / 72, qh = (i / 8) % 9, qw = i % 8;
          best = std::min(best, std::pow((d - qd) * 3.0, 2) + std::pow((h - qh) * 0.5, 2) +
                                    std::pow((w - qw) * 1.25, 2));
        }
        EXPECT_NEAR(map[(d * 9 + h) * 8 + w], best, 1e-9);
      }
  const auto none = squared_distance_to_set(std::vector<bool>(set.size(), false), size, mm);
  EXPECT_TRUE(std::isinf(none[0]));
}

TEST(OverlapMetrics, PercentileInterpolatesAsNumpy) {
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 95), 3.85);  // numpy.percentile([1,2,3,4], 95)
  EXPECT_DOUBLE_EQ(percentile({5}, 95), 5.0);
  EXPECT_TRUE(std::isnan(percentile({}, 95)));
}

PatchSettings settings(Size patch, double foreground) {
  PatchSettings s;
  s.patch = patch;
  s.foreground_fraction = foreground;
  s.seed = 42;
  return s;
}

TEST(PatchSampler, SamePlanForTheSameSeedEpochAndSampleOnly) {
  const Size stored{10, 20, 20};
  auto mask = random_blobs(stored, 9, 2);
  const PatchSettings s = settings({4, 8, 8}, 0.5);
  const PatchPlan a = plan_patch(s, mask.data(), stored, stored, 2, {0, 3}, 1);
  const PatchPlan b = plan_patch(s, mask.data(), stored, stored, 2, {0, 3}, 1);
  EXPECT_EQ(a.origin, b.origin);
  int differ = 0;
  for (std::uint64_t epoch = 2; epoch < 12; ++epoch)
    differ += plan_patch(s, mask.data(), stored, stored, 2, {0, 3}, epoch).origin != a.origin;
  EXPECT_GE(differ, 8);
}

TEST(PatchSampler, ForegroundPatchesContainTheirClassAndStayInsideTheCase) {
  const Size stored{12, 30, 30}, extent{10, 25, 28};  // padding of a shard beyond the extent
  std::vector<std::uint8_t> mask(12 * 30 * 30, 0);
  mask[(7 * 30 + 21) * 30 + 3] = 1;  // one foreground voxel, near a border
  const PatchSettings s = settings({4, 8, 8}, 1.0);
  for (std::int64_t index = 0; index < 20; ++index) {
    const PatchPlan plan = plan_patch(s, mask.data(), stored, extent, 2, {1, index}, 0);
    EXPECT_TRUE(plan.foreground);
    const Size voxel{7, 21, 3};
    for (int a = 0; a < 3; ++a) {
      EXPECT_GE(plan.origin[a], 0);
      EXPECT_LE(plan.origin[a] + s.patch[a], extent[a]);
      EXPECT_GE(voxel[a], plan.origin[a]);
      EXPECT_LT(voxel[a], plan.origin[a] + s.patch[a]);
    }
  }
  // Never foreground: uniform placements, inside the extent.
  const PatchSettings uniform = settings({4, 8, 8}, 0.0);
  for (std::int64_t index = 0; index < 50; ++index) {
    const PatchPlan plan = plan_patch(uniform, mask.data(), stored, extent, 2, {0, index}, 0);
    EXPECT_FALSE(plan.foreground);
    for (int a = 0; a < 3; ++a) {
      EXPECT_GE(plan.origin[a], 0);
      EXPECT_LE(plan.origin[a] + uniform.patch[a], extent[a]);
    }
  }
}

TEST(PatchSampler, ACaseSmallerThanThePatchIsCoveredWhole) {
  const Size stored{3, 6, 6};
  std::vector<std::uint8_t> mask(3 * 6 * 6, 0);
  const PatchSettings s = settings({8, 8, 8}, 0.0);
  for (std::int64_t index = 0; index < 20; ++index) {
    const PatchPlan plan = plan_patch(s, mask.data(), stored, stored, 2, {0, index}, 0);
    for (int a = 0; a < 3; ++a) {
      EXPECT_LE(plan.origin[a], 0);
      EXPECT_GE(plan.origin[a] + 8, stored[a]);
    }
  }
}

TEST(SlidingWindow, StartsTileTheAxisWithTheAskedOverlap) {
  EXPECT_EQ(window_starts(10, 4, 0.5), (std::vector<std::int64_t>{0, 2, 4, 6}));
  EXPECT_EQ(window_starts(8, 8, 0.5), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(window_starts(9, 4, 0.0), (std::vector<std::int64_t>{0, 3, 5}));
  for (std::int64_t size : {5, 17, 64, 100}) {
    const auto starts = window_starts(size, 5, 0.5);
    EXPECT_EQ(starts.front(), 0);
    EXPECT_EQ(starts.back(), size - 5);
    for (std::size_t i = 1; i < starts.size(); ++i) EXPECT_LE(starts[i] - starts[i - 1], 2);
  }
}

// A voxel-wise "model": logits (-x, x) of the first channel, so sliding windows must give back
// exactly that, whatever the tiling, weighting or mirroring.
class VoxelModel : public Model {
 public:
  explicit VoxelModel(bool planar) : planar_(planar) {}
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  torch::Tensor forward(const torch::Tensor& x) override {
    EXPECT_EQ(x.dim(), planar_ ? 4 : 5);
    const torch::Tensor first = x.narrow(1, 0, 1);
    return torch::cat({-first, first}, 1);
  }

 private:
  bool planar_;
};

TEST(SlidingWindow, VoxelWiseModelIsReconstructedExactly) {
  torch::manual_seed(0);
  const torch::Tensor volume = torch::randn({1, 5, 13, 11});
  for (bool planar : {false, true}) {
    for (bool mirror : {false, true}) {
      VoxelModel model(planar);
      WindowSettings s;
      s.patch = planar ? Size{1, 8, 8} : Size{4, 8, 8};
      s.mirror = mirror;
      s.planar = planar;
      s.batch = 3;
      const torch::Tensor logits = sliding_window_logits(model, volume, 2, s, torch::kCPU);
      ASSERT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, 5, 13, 11}));
      EXPECT_LT((logits[1] - volume[0]).abs().max().item<double>(), 1e-5);
    }
  }
  // A volume smaller than the patch: padded for inference, cropped back.
  VoxelModel model(false);
  WindowSettings s;
  s.patch = {8, 16, 16};
  const torch::Tensor small = torch::randn({1, 3, 5, 7});
  const torch::Tensor logits = sliding_window_logits(model, small, 2, s, torch::kCPU);
  ASSERT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, 3, 5, 7}));
  EXPECT_LT((logits[1] - small[0]).abs().max().item<double>(), 1e-5);
}

TEST(DenseLosses, CrossEntropyAndFocalAreVoxelMeansPerSample) {
  torch::manual_seed(1);
  const torch::Tensor logits = torch::randn({2, 3, 4, 5, 6});
  const torch::Tensor labels = torch::randint(0, 3, {2, 4, 5, 6}, torch::kInt64);
  const torch::Tensor ce = dense_cross_entropy_terms(logits, labels);
  const torch::Tensor manual =
      -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1).flatten(1).mean(1);
  EXPECT_LT((ce - manual).abs().max().item<double>(), 1e-6);
  // gamma 0 focal is cross entropy.
  EXPECT_LT((dense_focal_terms(logits, labels, 0.0) - manual).abs().max().item<double>(), 1e-6);
  // The registry's entries take dense outputs; no weights = every sample once.
  for (const char* name : {"ce", "focal", "dice", "dice_ce"}) {
    const LossEntry& loss = find_loss(name);
    LossInputs in{logits, labels};
    const torch::Tensor sum = loss.sum(in);
    EXPECT_NEAR(sum.item<double>(), loss.terms(in).sum().item<double>(), 1e-5) << name;
    in.weights = torch::tensor({1.0f, 0.0f});
    EXPECT_NEAR(loss.sum(in).item<double>(), loss.terms(in)[0].item<double>(), 1e-5) << name;
  }
}

}  // namespace
}  // namespace galien
