#include "datasets/imaging/source_grid.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "core/error.h"
#include "datasets/imaging/orientation.h"
#include "datasets/imaging/resample.h"

namespace galien {
namespace {

using Size3 = std::array<std::int64_t, 3>;  // [D, H, W]

std::string size_text(const Size3& s) {
  return std::to_string(s[0]) + " x " + std::to_string(s[1]) + " x " + std::to_string(s[2]);
}

std::string spacing_text(const std::array<double, 3>& s) {
  std::ostringstream text;
  text << "[" << s[0] << ", " << s[1] << ", " << s[2] << "]";
  return text.str();
}

// The source's [slices, rows, columns] sizes: NIfTI's source_shape (i, j, k), else the rows,
// columns and slices the source recorded.
std::array<double, 3> source_sizes(const ImageAttributes& a) {
  if (a.source_shape[0] > 0) {
    return {double(a.source_shape[2]), double(a.source_shape[1]), double(a.source_shape[0])};
  }
  if (a.rows > 0 && a.columns > 0) {
    return {double(std::max<std::int64_t>(a.slices, 1)), double(a.rows), double(a.columns)};
  }
  GALIEN_USER_ERROR("/image_meta has no source grid (source_shape, or rows and columns): this "
                    << "sample cannot be mapped back to its source; re-run `galien shard` with "
                    << "this galien version (NIfTI sources record it)");
}

Size3 to_size(const std::array<double, 3>& v) {
  return {static_cast<std::int64_t>(v[0]), static_cast<std::int64_t>(v[1]),
          static_cast<std::int64_t>(v[2])};
}

Size3 size_of(const Volume& v) { return {v.depth, v.height, v.width}; }

// data.images.shape as [D, H, W] (2D: depth 1).
Size3 target_of(const DataConfig& data) {
  const auto& s = data.image_shape;
  if (s.size() == 3) return {s[0], s[1], s[2]};
  return {1, s[0], s[1]};
}

void check_stored(const Volume& stored, const Size3& expected, const std::string& why) {
  if (size_of(stored) != expected) {
    GALIEN_USER_ERROR("the prediction to map back is " << size_text(size_of(stored))
                      << " (D x H x W) but " << size_text(expected) << " is expected (" << why
                      << "): give the volume on the sample's stored grid, cropped to the case's "
                      << "extent when the shards pad cases");
  }
}

}  // namespace

Volume to_source_grid(const Volume& stored, const ImageAttributes& attributes,
                      const DataConfig& data) {
  GALIEN_CHECK(stored.size() == static_cast<std::int64_t>(stored.voxels.size()),
               "volume " << stored.shape_text() << " holds " << stored.voxels.size() << " voxels");
  const std::string& code = attributes.orientation;
  if (!code.empty() && !directions_of(code)) {
    GALIEN_USER_ERROR("/image_meta key 'orientation' is '" << code << "', not an axis code such "
                      << "as LPS: the shard's image attributes are damaged; re-run `galien shard`");
  }
  // Before the fit: the reoriented volume's size and spacing, [D, H, W].
  const Size3 before = to_size(canonical_order(source_sizes(attributes), code));
  const std::array<double, 3> spacing = canonical_order(attributes.spacing, code);

  Volume v = stored;
  if (!data.image_spacing.empty()) {
    // image_transform.cpp: resample_to_spacing (the slice axis untouched for 2D), then a
    // centred crop_or_pad to data.images.shape.
    if (!(spacing[1] > 0)) {
      GALIEN_USER_ERROR("/image_meta has no spacing_mm but data.images.spacing is set: the "
                        << "resampling cannot be undone; re-run `galien shard`");
    }
    const auto& s = data.image_spacing;
    std::array<double, 3> grid = s.size() == 3 ? std::array<double, 3>{s[0], s[1], s[2]}
                                               : std::array<double, 3>{spacing[0], s[0], s[1]};
    if (attributes.grid_spacing[1] > 0) {
      for (int a = 0; a < 3; ++a) {
        if (std::abs(attributes.grid_spacing[a] - grid[a]) > 1e-9 * grid[a]) {
          GALIEN_USER_ERROR("the shards were made with a stored-grid spacing of "
                            << spacing_text(attributes.grid_spacing) << " mm but data.images."
                            << "spacing gives " << spacing_text(grid) << ": map predictions back "
                            << "with the config the shards were made with");
        }
      }
    }
    Size3 resampled{};  // resample_to_spacing's size: round(size * old / new), at least 1
    for (int a = 0; a < 3; ++a) {
      resampled[a] = std::max<std::int64_t>(
          1, std::llround(static_cast<double>(before[a]) * spacing[a] / grid[a]));
    }
    if (!data.image_shape.empty()) {
      check_stored(stored, target_of(data), "data.images.shape");
      // crop_or_pad's offset is (in - out) / 2, truncated towards zero, so the same call with
      // the sizes swapped takes each voxel back to where it came from.
      v = crop_or_pad(v, resampled, 0.0f);
    } else {
      check_stored(stored, resampled, "the case resampled to data.images.spacing");
    }
    if (resampled != before) v = resample(v, before, Interpolation::kNearest);
  } else if (!data.image_shape.empty()) {
    check_stored(stored, target_of(data), "data.images.shape");
    if (size_of(v) != before) v = resample(v, before, Interpolation::kNearest);
  } else {
    check_stored(stored, before, "the case's source grid; data.images.shape is []");
  }
  if (spacing[1] > 0) v.spacing = spacing;
  v.volumetric = true;
  v.orientation = code;
  if (!code.empty()) restore_source_orientation(v, code);  // checked above
  return v;
}

}  // namespace galien
