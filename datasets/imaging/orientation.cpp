#include "datasets/imaging/orientation.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace galien {
namespace {

// For each stored axis: the world axis it runs along (0 = x, 1 = y, 2 = z) and whether it runs
// backwards (towards L, P or I).
struct AxisMap {
  std::array<int, 3> world{};
  std::array<bool, 3> reversed{};
};

// nibabel's io_orientation without its orthogonalisation step: stored axes in order, each takes
// the world axis of its largest remaining component, which is then out of the running. For the
// near-orthogonal directions of real scanners the choice is the same.
std::optional<AxisMap> map_axes(const AxisDirections& directions) {
  std::array<Vector3, 3> d = directions;
  for (Vector3& v : d) {
    double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (!std::isfinite(norm) || norm == 0) return std::nullopt;
    for (double& x : v) x /= norm;
  }
  AxisMap map;
  std::array<bool, 3> taken{};
  for (int axis = 0; axis < 3; ++axis) {
    int best = -1;
    for (int w = 0; w < 3; ++w) {
      if (!taken[w] && (best < 0 || std::abs(d[axis][w]) > std::abs(d[axis][best]))) best = w;
    }
    if (d[axis][best] == 0) return std::nullopt;  // lies in the plane of the axes already taken
    taken[best] = true;
    map.world[axis] = best;
    map.reversed[axis] = d[axis][best] < 0;
  }
  return map;
}

}  // namespace

std::optional<std::string> orientation_code(const AxisDirections& directions) {
  std::optional<AxisMap> map = map_axes(directions);
  if (!map) return std::nullopt;
  static constexpr char kForward[] = "RAS", kBackward[] = "LPI";
  std::string code;
  for (int axis = 0; axis < 3; ++axis) {
    int w = map->world[axis];
    code += map->reversed[axis] ? kBackward[w] : kForward[w];
  }
  return code;
}

// Rewrites v's voxels (every channel) as the axes (W, H, D order) of `size`, output voxel
// (i, j, k) reading stored offset origin + i step[0] + j step[1] + k step[2]; `spacing` is the
// output axes' (W, H, D). No voxels (a header read alone): only sizes and spacing change.
static void permute_axes(Volume& v, const std::array<std::int64_t, 3>& size,
                  const std::array<std::int64_t, 3>& step, std::int64_t origin,
                  const std::array<double, 3>& spacing) {
  std::vector<float> out(v.voxels.size());
  const std::int64_t volume = v.spatial_size();
  std::size_t n = 0;
  for (std::int64_t c = 0; c < v.channels && !v.voxels.empty(); ++c) {
    const float* in = v.voxels.data() + c * volume + origin;
    for (std::int64_t k = 0; k < size[2]; ++k) {
      for (std::int64_t j = 0; j < size[1]; ++j) {
        const float* row = in + k * step[2] + j * step[1];
        for (std::int64_t i = 0; i < size[0]; ++i) out[n++] = row[i * step[0]];
      }
    }
  }
  v.voxels = std::move(out);
  v.width = size[0];
  v.height = size[1];
  v.depth = size[2];
  v.spacing = {spacing[2], spacing[1], spacing[0]};
}

bool reorient_to_ras(Volume& v, const AxisDirections& directions) {
  std::optional<AxisMap> map = map_axes(directions);
  if (!map) return false;
  // A single slice keeps its slice axis last, or it would stop being a slice.
  if (v.depth == 1 && map->world[2] != 2) return false;
  v.orientation = *orientation_code(directions);
  if (v.orientation == "RAS") return true;

  // Stored axis a (0 = W, 1 = H, 2 = D): its length, its step in the voxel array, its spacing.
  const std::array<std::int64_t, 3> size{v.width, v.height, v.depth};
  const std::array<std::int64_t, 3> stride{1, v.width, v.width * v.height};
  const std::array<double, 3> spacing{v.spacing[2], v.spacing[1], v.spacing[0]};
  // Output axis w (x = W', y = H', z = D') reads stored axis from[w], forwards or backwards.
  std::array<int, 3> from{};
  for (int a = 0; a < 3; ++a) from[map->world[a]] = a;
  std::array<std::int64_t, 3> out_size{}, step{};
  std::int64_t origin = 0;  // stored offset of output voxel (0, 0, 0)
  for (int w = 0; w < 3; ++w) {
    const int a = from[w];
    out_size[w] = size[a];
    step[w] = map->reversed[a] ? -stride[a] : stride[a];
    if (map->reversed[a]) origin += (size[a] - 1) * stride[a];
  }
  permute_axes(v, out_size, step, origin, {spacing[from[0]], spacing[from[1]], spacing[from[2]]});
  return true;
}

std::array<double, 3> source_order(const std::array<double, 3>& canonical,
                                   const std::string& code) {
  if (code.size() != 3) return canonical;
  std::array<double, 3> source{};
  for (int a = 0; a < 3; ++a) {
    const char letter = code[static_cast<std::size_t>(a)];
    const int w = (letter == 'R' || letter == 'L') ? 0 : (letter == 'A' || letter == 'P') ? 1 : 2;
    source[2 - a] = canonical[2 - w];
  }
  return source;
}

std::array<double, 3> canonical_order(const std::array<double, 3>& source,
                                      const std::string& code) {
  if (code.size() != 3) return source;
  std::array<double, 3> canonical{};
  for (int a = 0; a < 3; ++a) {
    const char letter = code[static_cast<std::size_t>(a)];
    const int w = (letter == 'R' || letter == 'L') ? 0 : (letter == 'A' || letter == 'P') ? 1 : 2;
    canonical[2 - w] = source[2 - a];
  }
  return canonical;
}

std::optional<AxisDirections> directions_of(const std::string& code) {
  if (code.size() != 3) return std::nullopt;
  static const std::string kForward = "RAS", kBackward = "LPI";
  AxisDirections d{};
  std::array<bool, 3> seen{};
  for (std::size_t a = 0; a < 3; ++a) {
    std::size_t w = kForward.find(code[a]);
    double sign = 1.0;
    if (w == std::string::npos) {
      w = kBackward.find(code[a]);
      sign = -1.0;
    }
    if (w == std::string::npos || seen[w]) return std::nullopt;
    seen[w] = true;
    d[a][w] = sign;
  }
  return d;
}

bool restore_source_orientation(Volume& v, const std::string& code) {
  std::optional<AxisDirections> directions = directions_of(code);
  if (!directions) return false;
  const AxisMap map = *map_axes(*directions);  // unit axes: always a map
  v.orientation.clear();
  if (code == "RAS") return true;
  // Canonical world axis w (0 = x = W', 1 = y = H', 2 = z = D'): its length, step, spacing.
  const std::array<std::int64_t, 3> size{v.width, v.height, v.depth};
  const std::array<std::int64_t, 3> stride{1, v.width, v.width * v.height};
  const std::array<double, 3> spacing{v.spacing[2], v.spacing[1], v.spacing[0]};
  // Stored axis a (0 = W, 1 = H, 2 = D) reads world axis map.world[a], backwards if reversed.
  std::array<std::int64_t, 3> out_size{}, step{};
  std::array<double, 3> out_spacing{};
  std::int64_t origin = 0;  // canonical offset of stored voxel (0, 0, 0)
  for (int a = 0; a < 3; ++a) {
    const int w = map.world[a];
    out_size[a] = size[w];
    out_spacing[a] = spacing[w];
    step[a] = map.reversed[a] ? -stride[w] : stride[w];
    if (map.reversed[a]) origin += (size[w] - 1) * stride[w];
  }
  permute_axes(v, out_size, step, origin, out_spacing);
  return true;
}

}  // namespace galien
