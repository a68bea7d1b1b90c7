#include "trainers/segmentation/overlap_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace galien {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One axis of the squared-distance transform: out[p] = min_q (s2 (p - q)^2 + f[q]) by the lower
// envelope of parabolas; +inf entries of f are not parabolas (they never win).
void transform_line(const std::vector<double>& f, double s2, std::vector<double>& out,
                    std::vector<std::int64_t>& v, std::vector<double>& z) {
  const auto n = static_cast<std::int64_t>(f.size());
  std::int64_t k = -1;
  auto intersection = [&](std::int64_t q, std::int64_t r) {  // where parabola q overtakes r
    return ((f[q] + s2 * q * q) - (f[r] + s2 * r * r)) / (2.0 * s2 * (q - r));
  };
  for (std::int64_t q = 0; q < n; ++q) {
    if (std::isinf(f[q])) continue;
    if (k < 0) {  // the first parabola covers the whole line
      k = 0;
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    // Drop the parabolas that q's hides; z[0] = -inf stops this at the first one.
    double s = intersection(q, v[k]);
    while (s <= z[k]) s = intersection(q, v[--k]);
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = kInf;
  }
  if (k < 0) {
    std::fill(out.begin(), out.end(), kInf);
    return;
  }
  std::int64_t j = 0;
  for (std::int64_t p = 0; p < n; ++p) {
    while (z[j + 1] < p) ++j;
    const double d = static_cast<double>(p - v[j]);
    out[p] = s2 * d * d + f[v[j]];
  }
}

// A class's surface: its voxels with a 6-neighbour outside it (or on the volume's border).
std::vector<bool> surface(const std::uint8_t* labels, int cls, const std::array<std::int64_t, 3>& size) {
  const std::int64_t D = size[0], H = size[1], W = size[2];
  std::vector<bool> out(static_cast<std::size_t>(D * H * W), false);
  auto in = [&](std::int64_t d, std::int64_t h, std::int64_t w) {
    return d >= 0 && h >= 0 && w >= 0 && d < D && h < H && w < W &&
           labels[(d * H + h) * W + w] == cls;
  };
  for (std::int64_t d = 0; d < D; ++d)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t w = 0; w < W; ++w) {
        if (!in(d, h, w)) continue;
        // A single-slice volume (D = 1) is a 2-D image: its surface is in-plane only.
        const bool depth_edge = D > 1 && (!in(d - 1, h, w) || !in(d + 1, h, w));
        if (depth_edge || !in(d, h - 1, w) || !in(d, h + 1, w) || !in(d, h, w - 1) ||
            !in(d, h, w + 1))
          out[static_cast<std::size_t>((d * H + h) * W + w)] = true;
      }
  return out;
}

// The directed distances (mm) from each voxel of `from` to the set whose squared distance map
// is `to_map`.
std::vector<double> directed(const std::vector<bool>& from, const std::vector<double>& to_map) {
  std::vector<double> out;
  for (std::size_t i = 0; i < from.size(); ++i)
    if (from[i]) out.push_back(std::sqrt(to_map[i]));
  return out;
}

}  // namespace

std::vector<double> squared_distance_to_set(const std::vector<bool>& in_set,
                                            const std::array<std::int64_t, 3>& size,
                                            const std::array<double, 3>& spacing_mm) {
  const std::int64_t D = size[0], H = size[1], W = size[2];
  std::vector<double> grid(in_set.size());
  for (std::size_t i = 0; i < in_set.size(); ++i) grid[i] = in_set[i] ? 0.0 : kInf;
  const std::int64_t longest = std::max({D, H, W});
  std::vector<double> line(static_cast<std::size_t>(longest)), out(line.size()), z(line.size() + 1);
  std::vector<std::int64_t> v(line.size());
  // Axis by axis: W, then H, then D (the transform is separable).
  const std::int64_t strides[3] = {H * W, W, 1};
  for (int axis = 2; axis >= 0; --axis) {
    const std::int64_t n = size[axis], stride = strides[axis];
    const double s2 = spacing_mm[axis] * spacing_mm[axis];
    line.resize(static_cast<std::size_t>(n));
    out.resize(static_cast<std::size_t>(n));
    for (std::int64_t base = 0; base < D * H * W; ++base) {
      // `base` is a line start when its coordinate along `axis` is 0.
      if ((base / stride) % n != 0) continue;
      for (std::int64_t i = 0; i < n; ++i) line[i] = grid[base + i * stride];
      transform_line(line, s2, out, v, z);
      for (std::int64_t i = 0; i < n; ++i) grid[base + i * stride] = out[i];
    }
  }
  return grid;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double rank = q / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(values.size() - 1, below + 1);
  const double t = rank - static_cast<double>(below);
  return values[below] + t * (values[above] - values[below]);
}

OverlapScores overlap_scores(const std::uint8_t* predicted, const std::uint8_t* truth,
                             const std::array<std::int64_t, 3>& size,
                             const std::array<double, 3>& spacing_mm, int num_classes) {
  OverlapScores scores;
  const std::int64_t voxels = size[0] * size[1] * size[2];
  for (int cls = 1; cls < num_classes; ++cls) {
    std::int64_t p = 0, g = 0, both = 0;
    for (std::int64_t i = 0; i < voxels; ++i) {
      const bool in_p = predicted[i] == cls, in_g = truth[i] == cls;
      p += in_p;
      g += in_g;
      both += in_p && in_g;
    }
    scores.dice.push_back(p + g == 0 ? std::nan("") : 2.0 * static_cast<double>(both) / static_cast<double>(p + g));
    if (p == 0 || g == 0) {
      scores.hd95.push_back(std::nan(""));
      continue;
    }
    const std::vector<bool> sp = surface(predicted, cls, size), sg = surface(truth, cls, size);
    const double forward = percentile(directed(sp, squared_distance_to_set(sg, size, spacing_mm)), 95);
    const double backward = percentile(directed(sg, squared_distance_to_set(sp, size, spacing_mm)), 95);
    scores.hd95.push_back(std::max(forward, backward));
  }
  return scores;
}

}  // namespace galien
