#include "trainers/loop/augment.h"

#include <torch/types.h>

#include <random>

#include "core/random.h"

namespace galien {

bool augmentation_enabled(const AugmentConfig& config) {
  return config.hflip || config.vflip || config.dflip || config.rotate90 ||
         config.crop_padding > 0 || config.intensity > 0;
}

void augment_images(torch::Tensor& images, const std::vector<SampleRef>& samples,
                    const AugmentConfig& config, std::uint64_t seed, std::uint64_t epoch) {
  if (!augmentation_enabled(config) || !images.defined()) return;
  const auto dims = images.dim();
  const std::int64_t h_dim = dims - 2, w_dim = dims - 1;  // of one sample: dims - 1 axes
  const std::int64_t height = images.size(h_dim), width = images.size(w_dim);
  const std::int64_t pad = config.crop_padding;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    std::mt19937_64 rng(mix_seed(mix_seed(seed, epoch, 0xa06), static_cast<std::uint64_t>(samples[i].shard),
                                 static_cast<std::uint64_t>(samples[i].index)));
    auto sample = images[static_cast<std::int64_t>(i)];  // a view: edits land in `images`
    if (config.hflip && uniform_below(rng, 2)) sample.copy_(sample.flip({w_dim - 1}));
    if (config.vflip && uniform_below(rng, 2)) sample.copy_(sample.flip({h_dim - 1}));
    if (config.rotate90) {
      const auto quarter_turns = static_cast<std::int64_t>(uniform_below(rng, 4));
      if (quarter_turns) sample.copy_(sample.rot90(quarter_turns, {h_dim - 1, w_dim - 1}));
    }
    if (config.intensity > 0) {
      // Contrast and brightness jitter: x * (1 + s u) + s v, u and v uniform in [-1, 1].
      std::uniform_real_distribution<double> unit(-1.0, 1.0);
      const double scale = 1.0 + config.intensity * unit(rng);
      const double shift = config.intensity * unit(rng);
      sample.mul_(scale).add_(shift);
    }
    // Last, and drawn only when asked, so configs without it see the draws they always saw.
    if (config.dflip && dims == 5 && uniform_below(rng, 2)) sample.copy_(sample.flip({1}));
    if (pad > 0) {
      // Shift by (dy, dx) in [-pad, pad]: the padded image cropped back to H x W.
      const auto dy = static_cast<std::int64_t>(uniform_below(rng, 2 * pad + 1)) - pad;
      const auto dx = static_cast<std::int64_t>(uniform_below(rng, 2 * pad + 1)) - pad;
      if (dy == 0 && dx == 0) continue;
      auto shifted = torch::zeros_like(sample);
      const std::int64_t src_y = std::max<std::int64_t>(0, dy), dst_y = std::max<std::int64_t>(0, -dy);
      const std::int64_t src_x = std::max<std::int64_t>(0, dx), dst_x = std::max<std::int64_t>(0, -dx);
      const std::int64_t rows = height - std::abs(dy), cols = width - std::abs(dx);
      if (rows > 0 && cols > 0)
        shifted.narrow(h_dim - 1, dst_y, rows).narrow(w_dim - 1, dst_x, cols)
            .copy_(sample.narrow(h_dim - 1, src_y, rows).narrow(w_dim - 1, src_x, cols));
      sample.copy_(shifted);
    }
  }
}

}  // namespace galien
