#include "datasets/imaging/image_transform.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "datasets/imaging/float16.h"
#include "datasets/imaging/resample.h"

namespace galien {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::array<std::int64_t, 3> spatial(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 4) return {shape[1], shape[2], shape[3]};
  return {1, shape[1], shape[2]};
}

[[noreturn]] void wrong_shape(const std::string& origin, const std::string& what,
                              const std::string& expected, const std::string& actual,
                              const std::string& advice) {
  GALIEN_USER_ERROR(origin << ": " << what << " has shape " << actual << " but " << expected
                           << " is expected; " << advice);
}

}  // namespace

ImageTransform::ImageTransform(const DataConfig& config) : config_(config) {
  const auto& shape = config.image_shape;
  if (!shape.empty() && shape.size() != 2 && shape.size() != 3) {
    GALIEN_USER_ERROR("data.images.shape has " << shape.size() << " entries: give [H, W] or "
                                               << "[D, H, W]");
  }
  if (!config.image_spacing.empty() && config.image_spacing.size() != shape.size()) {
    GALIEN_USER_ERROR("data.images.spacing needs data.images.shape with as many entries "
                      << "(resample to the spacing, then crop/pad to the shape)");
  }
}

ImageLayout ImageTransform::layout(const Volume& first) const {
  ImageLayout layout;
  layout.dtype = config_.image_dtype == "float16" ? PixelType::kFloat16 : PixelType::kUint8;
  std::int64_t channels = config_.image_channels > 0 ? config_.image_channels : first.channels;
  layout.shape.push_back(channels);
  if (config_.image_shape.empty()) {
    if (first.volumetric || first.depth != 1) layout.shape.push_back(first.depth);
    layout.shape.push_back(first.height);
    layout.shape.push_back(first.width);
  } else {
    layout.shape.insert(layout.shape.end(), config_.image_shape.begin(), config_.image_shape.end());
  }
  const auto& s = config_.image_spacing;
  if (s.size() == 3) layout.spacing = {s[0], s[1], s[2]};
  if (s.size() == 2) layout.spacing = {first.spacing[0], s[0], s[1]};
  return layout;
}

Volume ImageTransform::fit(const Volume& v, const ImageLayout& layout, bool is_mask,
                           const std::string& origin) const {
  std::array<std::int64_t, 3> target = spatial(layout.shape);
  std::vector<std::int64_t> expected = layout.shape;
  if (is_mask) expected.front() = 1;
  const char* what = is_mask ? "the mask" : "the image";
  if (v.channels != expected.front() || (layout.shape.size() == 3 && v.depth != 1)) {
    std::vector<std::int64_t> actual{v.channels, v.depth, v.height, v.width};
    if (layout.shape.size() == 3 && v.depth == 1) actual.erase(actual.begin() + 1);
    wrong_shape(origin, what, shape_text(expected), shape_text(actual),
                "check data.images.channels and data.images.shape (2 entries for 2D images)");
  }
  Interpolation how = is_mask ? Interpolation::kNearest : Interpolation::kLinear;
  if (!config_.image_spacing.empty()) {
    std::array<double, 3> spacing = layout.spacing;
    if (layout.shape.size() == 3) spacing[0] = v.spacing[0];  // 2D: slices untouched
    // Padding: background 0 for masks, the image's minimum (air in CT) for images.
    float fill = is_mask || v.voxels.empty() ? 0.0f
                                             : *std::min_element(v.voxels.begin(), v.voxels.end());
    return crop_or_pad(resample_to_spacing(v, spacing, how), target, fill);
  }
  if (!config_.image_shape.empty()) {
    if (v.depth == target[0] && v.height == target[1] && v.width == target[2]) return v;
    return resample(v, target, how);
  }
  if (v.depth != target[0] || v.height != target[1] || v.width != target[2]) {
    std::vector<std::int64_t> actual{v.channels, v.depth, v.height, v.width};
    if (layout.shape.size() == 3) actual.erase(actual.begin() + 1);
    wrong_shape(origin, what, shape_text(expected), shape_text(actual),
                "images of different sizes need data.images.shape (resampling) or the odd "
                "image removed");
  }
  return v;
}

void ImageTransform::map_intensity(std::vector<float>& values, const std::string& origin) const {
  const std::string& mode = config_.image_intensity;
  if (mode == "window") {
    double low = config_.image_window_center - config_.image_window_width / 2;
    for (float& x : values) {
      x = static_cast<float>(std::clamp((x - low) / config_.image_window_width, 0.0, 1.0));
    }
  } else if (mode == "minmax") {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    float low = *lo, range = *hi - *lo;
    for (float& x : values) x = range > 0 ? (x - low) / range : 0.0f;
  } else if (config_.image_dtype == "uint8") {
    for (float x : values) {
      if (!(x >= 0.0f && x <= 255.0f)) {
        GALIEN_USER_ERROR(origin << " has values outside 0-255 (e.g. " << x << "), which uint8 "
                                 << "cannot store: set data.images.intensity to window or minmax,"
                                 << " or data.images.dtype to float16");
      }
    }
    return;
  }
  // [0, 1] -> 0-255 for uint8, so window and minmax mean the same for both types.
  if (config_.image_dtype == "uint8") {
    for (float& x : values) x *= 255.0f;
  }
}

std::array<double, 3> ImageTransform::apply(const Volume& image, const Volume* mask,
                                            const ImageLayout& layout, const std::string& origin,
                                            void* pixels, std::uint8_t* mask_out) const {
  Volume fitted = fit(image, layout, false, origin);
  map_intensity(fitted.voxels, origin);
  if (layout.dtype == PixelType::kUint8) {
    auto* out = static_cast<std::uint8_t*>(pixels);
    for (std::size_t i = 0; i < fitted.voxels.size(); ++i) {
      out[i] = static_cast<std::uint8_t>(std::lround(std::clamp(fitted.voxels[i], 0.0f, 255.0f)));
    }
  } else {
    auto* out = static_cast<std::uint16_t*>(pixels);
    for (std::size_t i = 0; i < fitted.voxels.size(); ++i) out[i] = float_to_half(fitted.voxels[i]);
  }
  if (mask == nullptr) return fitted.spacing;
  if (mask->depth != image.depth || mask->height != image.height || mask->width != image.width) {
    GALIEN_USER_ERROR(origin << ": the mask is " << mask->depth << " x " << mask->height << " x "
                             << mask->width << " but the image is " << image.depth << " x "
                             << image.height << " x " << image.width
                             << ": a segmentation mask must have its image's geometry");
  }
  Volume labels = fit(*mask, layout, true, origin);
  for (std::size_t i = 0; i < labels.voxels.size(); ++i) {
    float label = labels.voxels[i];
    if (!(label >= 0.0f && label <= 255.0f) || label != std::floor(label)) {
      GALIEN_USER_ERROR(origin << ": the mask holds " << label << ", not a label in 0-255");
    }
    mask_out[i] = static_cast<std::uint8_t>(label);
  }
  return fitted.spacing;
}

}  // namespace galien
