// Training-image augmentation: what each transform does to pixels, and that a sample's draw
// depends on its identity and the epoch only.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainers/loop/augment.h"

namespace galien {
namespace {

torch::Tensor ramp(std::int64_t n) {  // [n, 1, 4, 4], sample i = i*16 + 0..15
  return torch::arange(n * 16, torch::kFloat32).reshape({n, 1, 4, 4});
}

TEST(Augment, OffChangesNothing) {
  auto images = ramp(3);
  augment_images(images, {{0, 0}, {0, 1}, {1, 0}}, AugmentConfig{}, 7, 0);
  EXPECT_TRUE(images.equal(ramp(3)));
}

TEST(Augment, FlipsAreExactMirrorsOnHalfTheSamplesOrSo) {
  AugmentConfig config;
  config.hflip = true;
  const std::int64_t n = 200;
  auto images = ramp(n);
  std::vector<SampleRef> samples;
  for (std::int64_t i = 0; i < n; ++i) samples.push_back({0, i});
  augment_images(images, samples, config, 7, 0);
  const auto original = ramp(n);
  int flipped = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (images[i].equal(original[i])) continue;
    EXPECT_TRUE(images[i].equal(original[i].flip({2}))) << i;
    ++flipped;
  }
  EXPECT_GT(flipped, 70);
  EXPECT_LT(flipped, 130);
}

TEST(Augment, TheDrawDependsOnTheSampleAndEpochNotOnItsBatch) {
  AugmentConfig config;
  config.hflip = config.vflip = config.rotate90 = true;
  config.crop_padding = 1;
  config.intensity = 0.3;
  // Sample (2, 5) alone, and inside a batch with others at another position: same pixels.
  auto alone = ramp(1);
  augment_images(alone, {{2, 5}}, config, 11, 3);
  auto same_input = ramp(3);
  same_input[2].copy_(ramp(1)[0]);
  augment_images(same_input, {{0, 0}, {1, 1}, {2, 5}}, config, 11, 3);
  EXPECT_TRUE(same_input[2].equal(alone[0]));
  // Another epoch draws again.
  auto next_epoch = ramp(1);
  augment_images(next_epoch, {{2, 5}}, config, 11, 4);
  auto repeat = ramp(1);
  augment_images(repeat, {{2, 5}}, config, 11, 3);
  EXPECT_TRUE(repeat.equal(alone));
  EXPECT_FALSE(next_epoch.equal(alone));
}

TEST(Augment, CropPaddingShiftsWithZeroFill) {
  AugmentConfig config;
  config.crop_padding = 2;
  const std::int64_t n = 50;
  auto images = ramp(n) + 1;  // no zero pixel in the input
  std::vector<SampleRef> samples;
  for (std::int64_t i = 0; i < n; ++i) samples.push_back({0, i});
  augment_images(images, samples, config, 3, 0);
  int shifted = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (images[i].eq(0).any().item<bool>()) ++shifted;  // the shift brought in zeros
  EXPECT_GT(shifted, 30);  // 24 of 25 offsets are a shift
}

}  // namespace
}  // namespace galien
