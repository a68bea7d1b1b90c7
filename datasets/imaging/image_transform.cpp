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

ImageTransform::ImageTransform(const DataConfig& config)
    : config_(config),
      own_size_(config.task == "segmentation" && config.image_shape.empty()) {
  const auto& shape = config.image_shape;
  if (!shape.empty() && shape.size() != 2 && shape.size() != 3) {
    GALIEN_USER_ERROR("data.images.shape has " << shape.size() << " entries: give [H, W] or "
                                               << "[D, H, W]");
  }
  const auto& spacing = config.image_spacing;
  if (own_size_ && !spacing.empty() && spacing.size() != 2 && spacing.size() != 3) {
    GALIEN_USER_ERROR("data.images.spacing has " << spacing.size() << " entries: give [H, W] "
                                                 << "(2D cases) or [D, H, W] mm (volumes)");
  }
  if (!own_size_ && !spacing.empty() && spacing.size() != shape.size()) {
    GALIEN_USER_ERROR("data.images.spacing needs data.images.shape with as many entries "
                      << "(resample to the spacing, then crop/pad to the shape); only "
                      << "data.task: segmentation keeps each case at its own size");
  }
  for (double mm : spacing) {
    if (!(mm > 0) || !std::isfinite(mm)) {
      GALIEN_USER_ERROR("data.images.spacing holds " << mm << ": every entry is a spacing in "
                                                     << "mm, > 0");
    }
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

ImageLayout ImageTransform::layout(const Volume& first,
                                   const std::array<std::int64_t, 3>& largest) const {
  GALIEN_CHECK(own_size_, "a largest size is for segmentation cases of their own size");
  ImageLayout padded = layout(first);
  if (padded.shape.size() == 4) {
    padded.shape = {padded.shape[0], largest[0], largest[1], largest[2]};
  } else {
    padded.shape = {padded.shape[0], largest[1], largest[2]};
  }
  const std::size_t axes = padded.shape.size() - 1;
  if (!config_.image_spacing.empty() && config_.image_spacing.size() != axes) {
    GALIEN_USER_ERROR("data.images.spacing has " << config_.image_spacing.size()
                                                 << " entries but the cases are "
                                                 << (axes == 3 ? "volumes: give [D, H, W] mm"
                                                               : "2D images: give [H, W] mm"));
  }
  return padded;
}

std::array<double, 3> ImageTransform::target_spacing(const Volume& v,
                                                     const ImageLayout& layout) const {
  std::array<double, 3> spacing = layout.spacing;
  if (layout.shape.size() == 3) spacing[0] = v.spacing[0];  // 2D: slices untouched
  return spacing;
}

void ImageTransform::check_channels(const Volume& v, const ImageLayout& layout, bool is_mask,
                                    const std::string& origin) const {
  std::vector<std::int64_t> expected = layout.shape;
  if (is_mask) expected.front() = 1;
  if (v.channels != expected.front() || (layout.shape.size() == 3 && v.depth != 1)) {
    std::vector<std::int64_t> actual{v.channels, v.depth, v.height, v.width};
    if (layout.shape.size() == 3 && v.depth == 1) actual.erase(actual.begin() + 1);
    std::string expected_text = shape_text(expected);
    if (own_size_) {  // a case of its own size: only channels and dimensions are expected
      expected_text = std::string(layout.shape.size() == 4 ? "[C, D, H, W]" : "[C, H, W]") +
                      " with C = " + std::to_string(expected.front()) + " (as the first case)";
    }
    wrong_shape(origin, is_mask ? "the mask" : "the image", expected_text, shape_text(actual),
                "check data.images.channels and data.images.shape (2 entries for 2D images)");
  }
}

std::array<std::int64_t, 3> ImageTransform::stored_size(const Volume& image,
                                                        const ImageLayout& layout,
                                                        const std::string& origin) const {
  check_channels(image, layout, false, origin);
  if (!own_size_) return spatial(layout.shape);
  if (config_.image_spacing.empty()) return {image.depth, image.height, image.width};
  return spacing_size(image, target_spacing(image, layout));
}

Volume ImageTransform::fit(const Volume& v, const ImageLayout& layout, bool is_mask,
                           const std::string& origin) const {
  std::array<std::int64_t, 3> target = spatial(layout.shape);
  std::vector<std::int64_t> expected = layout.shape;
  if (is_mask) expected.front() = 1;
  const char* what = is_mask ? "the mask" : "the image";
  check_channels(v, layout, is_mask, origin);
  Interpolation how = is_mask ? Interpolation::kNearest : Interpolation::kLinear;
  if (own_size_) {  // padded when stored (apply)
    if (config_.image_spacing.empty()) return v;
    return resample_to_spacing(v, target_spacing(v, layout), how);
  }
  if (!config_.image_spacing.empty()) {
    std::array<double, 3> spacing = target_spacing(v, layout);
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

void check_mask_geometry(const Volume& image, const Volume& mask, const std::string& origin) {
  if (mask.depth != image.depth || mask.height != image.height || mask.width != image.width) {
    GALIEN_USER_ERROR(origin << ": the mask is " << mask.depth << " x " << mask.height << " x "
                             << mask.width << " but the image is " << image.depth << " x "
                             << image.height << " x " << image.width
                             << " (slices x rows x columns): a segmentation mask must have its "
                             << "image's geometry; fix the mask in labelsTr or remove the case");
  }
}

namespace {

// Copies `size` [D, H, W] of each of `channels` planes into the start of `shape` [D', H', W']
// (each >= size), zeros elsewhere; the same bytes as a plain copy when size == shape.
template <class T>
void place(const std::vector<T>& values, std::int64_t channels, std::array<std::int64_t, 3> size,
           std::array<std::int64_t, 3> shape, T* out) {
  if (size == shape) {
    std::copy(values.begin(), values.end(), out);
    return;
  }
  GALIEN_CHECK(size[0] <= shape[0] && size[1] <= shape[1] && size[2] <= shape[2],
               "a case larger than the padded shape");
  std::fill(out, out + channels * shape[0] * shape[1] * shape[2], T{0});
  const T* in = values.data();
  for (std::int64_t c = 0; c < channels; ++c) {
    for (std::int64_t k = 0; k < size[0]; ++k) {
      for (std::int64_t j = 0; j < size[1]; ++j, in += size[2]) {
        std::copy(in, in + size[2], out + ((c * shape[0] + k) * shape[1] + j) * shape[2]);
      }
    }
  }
}

}  // namespace

StoredGrid ImageTransform::apply(const Volume& image, const Volume* mask,
                                 const ImageLayout& layout, const std::string& origin,
                                 void* pixels, std::uint8_t* mask_out) const {
  Volume fitted = fit(image, layout, false, origin);
  map_intensity(fitted.voxels, origin);
  const std::array<std::int64_t, 3> size{fitted.depth, fitted.height, fitted.width};
  const std::array<std::int64_t, 3> shape = spatial(layout.shape);
  if (layout.dtype == PixelType::kUint8) {
    std::vector<std::uint8_t> stored(fitted.voxels.size());
    for (std::size_t i = 0; i < fitted.voxels.size(); ++i) {
      stored[i] =
          static_cast<std::uint8_t>(std::lround(std::clamp(fitted.voxels[i], 0.0f, 255.0f)));
    }
    place(stored, fitted.channels, size, shape, static_cast<std::uint8_t*>(pixels));
  } else {
    std::vector<std::uint16_t> stored(fitted.voxels.size());
    for (std::size_t i = 0; i < stored.size(); ++i) stored[i] = float_to_half(fitted.voxels[i]);
    place(stored, fitted.channels, size, shape, static_cast<std::uint16_t*>(pixels));
  }
  if (mask == nullptr) return {size, fitted.spacing};
  check_mask_geometry(image, *mask, origin);
  // Own size: the mask lies on its image's grid, so it is resampled with the image's spacing;
  // headers that round the spacing differently would otherwise give the two different sizes.
  Volume on_grid;
  const Volume* grid_mask = mask;
  if (own_size_ && mask->spacing != image.spacing) {
    on_grid = *mask;
    on_grid.spacing = image.spacing;
    grid_mask = &on_grid;
  }
  Volume labels = fit(*grid_mask, layout, true, origin);
  GALIEN_CHECK(labels.depth == size[0] && labels.height == size[1] && labels.width == size[2],
               origin << ": the mask was stored at another size than its image");
  std::vector<std::uint8_t> stored(labels.voxels.size());
  for (std::size_t i = 0; i < labels.voxels.size(); ++i) {
    float label = labels.voxels[i];
    if (!(label >= 0.0f && label <= 255.0f) || label != std::floor(label)) {
      GALIEN_USER_ERROR(origin << ": the mask holds " << label << ", not a label in 0-255");
    }
    stored[i] = static_cast<std::uint8_t>(label);
  }
  place(stored, 1, size, shape, mask_out);
  return {size, fitted.spacing};
}

}  // namespace galien
