#include "datasets/imaging/resample.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace galien {
namespace {

// Source coordinates of output index i along one axis: centre-aligned, clamped to the edges.
struct Axis {
  std::vector<std::int64_t> low, high, nearest;
  std::vector<float> weight;  // of `high`
};

Axis axis(std::int64_t in, std::int64_t out) {
  Axis a;
  double scale = static_cast<double>(in) / static_cast<double>(out);
  for (std::int64_t i = 0; i < out; ++i) {
    double x = std::clamp((i + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
    auto lo = static_cast<std::int64_t>(std::floor(x));
    a.low.push_back(lo);
    a.high.push_back(std::min(lo + 1, in - 1));
    a.weight.push_back(static_cast<float>(x - lo));
    a.nearest.push_back(std::min(static_cast<std::int64_t>((i + 0.5) * scale), in - 1));
  }
  return a;
}

}  // namespace

Volume resample(const Volume& v, std::array<std::int64_t, 3> size, Interpolation how) {
  Volume out = v;
  out.depth = size[0];
  out.height = size[1];
  out.width = size[2];
  out.spacing = {v.spacing[0] * v.depth / size[0], v.spacing[1] * v.height / size[1],
                 v.spacing[2] * v.width / size[2]};
  out.voxels.assign(static_cast<std::size_t>(out.size()), 0.0f);
  Axis z = axis(v.depth, size[0]), y = axis(v.height, size[1]), x = axis(v.width, size[2]);
  auto at = [&](std::int64_t c, std::int64_t k, std::int64_t j, std::int64_t i) {
    return v.voxels[static_cast<std::size_t>(((c * v.depth + k) * v.height + j) * v.width + i)];
  };
  std::size_t n = 0;
  for (std::int64_t c = 0; c < v.channels; ++c) {
    for (std::int64_t k = 0; k < size[0]; ++k) {
      for (std::int64_t j = 0; j < size[1]; ++j) {
        for (std::int64_t i = 0; i < size[2]; ++i, ++n) {
          if (how == Interpolation::kNearest) {
            out.voxels[n] = at(c, z.nearest[k], y.nearest[j], x.nearest[i]);
            continue;
          }
          float wz = z.weight[k], wy = y.weight[j], wx = x.weight[i];
          auto plane = [&](std::int64_t kk) {
            float top =
                at(c, kk, y.low[j], x.low[i]) * (1 - wx) + at(c, kk, y.low[j], x.high[i]) * wx;
            float bottom =
                at(c, kk, y.high[j], x.low[i]) * (1 - wx) + at(c, kk, y.high[j], x.high[i]) * wx;
            return top * (1 - wy) + bottom * wy;
          };
          out.voxels[n] = plane(z.low[k]) * (1 - wz) + plane(z.high[k]) * wz;
        }
      }
    }
  }
  return out;
}

std::array<std::int64_t, 3> spacing_size(const Volume& v, std::array<double, 3> spacing) {
  std::array<std::int64_t, 3> in{v.depth, v.height, v.width}, size{};
  for (int a = 0; a < 3; ++a) {
    size[a] = std::max<std::int64_t>(1, std::llround(in[a] * v.spacing[a] / spacing[a]));
  }
  return size;
}

Volume resample_to_spacing(const Volume& v, std::array<double, 3> spacing, Interpolation how) {
  Volume out = resample(v, spacing_size(v, spacing), how);
  out.spacing = spacing;
  return out;
}

Volume crop_or_pad(const Volume& v, std::array<std::int64_t, 3> size, float fill) {
  Volume out = v;
  out.depth = size[0];
  out.height = size[1];
  out.width = size[2];
  out.voxels.assign(static_cast<std::size_t>(out.size()), fill);
  std::array<std::int64_t, 3> in{v.depth, v.height, v.width}, offset{};
  for (int a = 0; a < 3; ++a) offset[a] = (in[a] - size[a]) / 2;  // < 0: pad, > 0: crop
  for (std::int64_t c = 0; c < v.channels; ++c) {
    for (std::int64_t k = 0; k < size[0]; ++k) {
      std::int64_t sk = k + offset[0];
      if (sk < 0 || sk >= v.depth) continue;
      for (std::int64_t j = 0; j < size[1]; ++j) {
        std::int64_t sj = j + offset[1];
        if (sj < 0 || sj >= v.height) continue;
        for (std::int64_t i = 0; i < size[2]; ++i) {
          std::int64_t si = i + offset[2];
          if (si < 0 || si >= v.width) continue;
          out.voxels[static_cast<std::size_t>(((c * size[0] + k) * size[1] + j) * size[2] + i)] =
              v.voxels[static_cast<std::size_t>(((c * v.depth + sk) * v.height + sj) * v.width +
                                                si)];
        }
      }
    }
  }
  return out;
}

}  // namespace galien
