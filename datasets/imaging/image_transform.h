// From a source image to the bytes a shard stores: channel check, resampling (data.images.shape
// / spacing), intensity mapping (raw, window, min-max) and conversion to uint8 or float16.
// Every image of a dataset gets one layout; an image that cannot fit it is a UserError naming
// its file with the expected and actual shape.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/imaging/volume.h"
#include "datasets/shard.h"

namespace galien {

struct ImageLayout {
  std::vector<std::int64_t> shape;      // per sample: [C, H, W] or [C, D, H, W]
  PixelType dtype = PixelType::kUint8;
  std::array<double, 3> spacing{0, 0, 0};  // mm after resampling to a spacing; 0 = not fixed
};

class ImageTransform {
 public:
  // UserError naming the key for settings that do not fit together.
  explicit ImageTransform(const DataConfig& config);

  // The layout: the configured shape and channels, or those of `first` where none is set.
  ImageLayout layout(const Volume& first) const;

  // Writes `image` as product(layout.shape) stored pixels (uint8, or half bits as uint16) and,
  // when `mask` is given, the mask (nearest-neighbour, same geometry) as uint8 labels. Returns
  // the spacing (mm, [D, H, W]) of the stored grid: the image's after the fit.
  std::array<double, 3> apply(const Volume& image, const Volume* mask, const ImageLayout& layout,
             const std::string& origin, void* pixels, std::uint8_t* mask_out) const;

 private:
  Volume fit(const Volume& v, const ImageLayout& layout, bool is_mask,
             const std::string& origin) const;
  void map_intensity(std::vector<float>& values, const std::string& origin) const;

  DataConfig config_;
};

}  // namespace galien
