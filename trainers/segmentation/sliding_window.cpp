#include "trainers/segmentation/sliding_window.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace galien {

std::vector<std::int64_t> window_starts(std::int64_t size, std::int64_t patch, double overlap) {
  GALIEN_CHECK(size >= patch && patch > 0, "windows of " << patch << " over " << size);
  if (size == patch) return {0};
  const double step = std::max(1.0, std::floor(static_cast<double>(patch) * (1.0 - overlap)));
  const auto count =
      static_cast<std::int64_t>(std::ceil(static_cast<double>(size - patch) / step)) + 1;
  std::vector<std::int64_t> starts;
  const double spacing = static_cast<double>(size - patch) / static_cast<double>(count - 1);
  for (std::int64_t i = 0; i < count; ++i)
    starts.push_back(static_cast<std::int64_t>(std::llround(spacing * static_cast<double>(i))));
  return starts;
}

namespace {

// nnU-Net's importance map: a Gaussian of sigma = patch / 8 per axis, peak 1, no zeros (the
// smallest weight replaces them, so every voxel gets a defined average).
torch::Tensor importance_map(const std::array<std::int64_t, 3>& patch, bool gaussian) {
  if (!gaussian) return torch::ones({patch[0], patch[1], patch[2]});
  std::array<torch::Tensor, 3> axis;
  for (int a = 0; a < 3; ++a) {
    const std::int64_t n = patch[a];
    const double centre = static_cast<double>(n - 1) / 2.0, sigma = static_cast<double>(n) / 8.0;
    const torch::Tensor x = torch::arange(n, torch::kFloat64) - centre;
    axis[a] = n == 1 ? torch::ones({1}, torch::kFloat64) : torch::exp(-(x * x) / (2 * sigma * sigma));
  }
  torch::Tensor map = (axis[0].view({-1, 1, 1}) * axis[1].view({1, -1, 1}) * axis[2].view({1, 1, -1}))
                          .to(torch::kFloat32);
  map = map / map.max();
  const torch::Tensor smallest = map.masked_select(map > 0).min();
  return torch::where(map > 0, map, smallest);
}

// The model's logits for windows [n, C, D, H, W] (on its device), as [n, K, D, H, W].
torch::Tensor window_logits(Model& model, const torch::Tensor& windows, bool planar) {
  if (!planar) return model.forward(ModelInputs{{}, windows});
  return model.forward(ModelInputs{{}, windows.squeeze(2)}).unsqueeze(2);
}

torch::Tensor mirrored_logits(Model& model, const torch::Tensor& windows, bool planar,
                              bool mirror) {
  torch::Tensor sum = window_logits(model, windows, planar);
  if (!mirror) return sum;
  std::vector<std::int64_t> axes;
  for (std::int64_t a = planar ? 3 : 2; a < 5; ++a)
    if (windows.size(a) > 1) axes.push_back(a);
  int passes = 1;
  for (unsigned subset = 1; subset < (1u << axes.size()); ++subset) {
    std::vector<std::int64_t> flip;
    for (std::size_t i = 0; i < axes.size(); ++i)
      if (subset & (1u << i)) flip.push_back(axes[i]);
    sum += window_logits(model, windows.flip(flip), planar).flip(flip);
    ++passes;
  }
  return sum / passes;
}

}  // namespace

torch::Tensor sliding_window_logits(Model& model, const torch::Tensor& volume,
                                    std::int64_t num_classes, const WindowSettings& settings,
                                    torch::Device device) {
  GALIEN_CHECK(volume.dim() == 4, "sliding window over " << volume.sizes());
  const auto& patch = settings.patch;
  const std::array<std::int64_t, 3> size{volume.size(1), volume.size(2), volume.size(3)};
  // Pad (at the end of each axis) to at least the patch.
  std::array<std::int64_t, 3> padded{};
  for (int a = 0; a < 3; ++a) padded[a] = std::max(size[a], patch[a]);
  torch::Tensor input = volume;
  if (padded != size) {
    input = torch::zeros({volume.size(0), padded[0], padded[1], padded[2]}, volume.options());
    input.narrow(1, 0, size[0]).narrow(2, 0, size[1]).narrow(3, 0, size[2]).copy_(volume);
  }
  std::vector<std::array<std::int64_t, 3>> windows;
  for (std::int64_t d : window_starts(padded[0], patch[0], settings.overlap))
    for (std::int64_t h : window_starts(padded[1], patch[1], settings.overlap))
      for (std::int64_t w : window_starts(padded[2], patch[2], settings.overlap))
        windows.push_back({d, h, w});
  const torch::Tensor weight = importance_map(patch, settings.gaussian);
  torch::Tensor sum = torch::zeros({num_classes, padded[0], padded[1], padded[2]});
  torch::Tensor norm = torch::zeros({padded[0], padded[1], padded[2]});
  const auto batch = static_cast<std::size_t>(std::max<std::int64_t>(1, settings.batch));
  for (std::size_t first = 0; first < windows.size(); first += batch) {
    const std::size_t last = std::min(windows.size(), first + batch);
    std::vector<torch::Tensor> cut;
    for (std::size_t i = first; i < last; ++i) {
      const auto& at = windows[i];
      cut.push_back(input.narrow(1, at[0], patch[0]).narrow(2, at[1], patch[1]).narrow(3, at[2], patch[2]));
    }
    const torch::Tensor logits =
        mirrored_logits(model, torch::stack(cut).to(device), settings.planar, settings.mirror)
            .to(torch::kCPU, torch::kFloat32);
    GALIEN_CHECK(logits.size(1) == num_classes, "the model gives " << logits.size(1)
                 << " channels for " << num_classes << " classes");
    for (std::size_t i = first; i < last; ++i) {
      const auto& at = windows[i];
      sum.narrow(1, at[0], patch[0]).narrow(2, at[1], patch[1]).narrow(3, at[2], patch[2])
          .add_(logits[static_cast<std::int64_t>(i - first)] * weight);
      norm.narrow(0, at[0], patch[0]).narrow(1, at[1], patch[1]).narrow(2, at[2], patch[2]).add_(weight);
    }
  }
  const torch::Tensor result = sum / norm;
  return result.narrow(1, 0, size[0]).narrow(2, 0, size[1]).narrow(3, 0, size[2]).contiguous();
}

}  // namespace galien
