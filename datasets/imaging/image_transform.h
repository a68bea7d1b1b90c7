// From a source image to the bytes a shard stores: channel check, resampling (data.images.shape
// / spacing), intensity mapping (raw, window, min-max) and conversion to uint8 or float16.
// Every image of a dataset gets one layout; an image that cannot fit it is a UserError naming
// its file with the expected and actual shape.
//
// Segmentation without data.images.shape ("own size"): each case keeps its own size, resampled
// to data.images.spacing when set, and is stored at the start of the layout's shape (the
// largest stored size of the dataset), the rest zeros (image and mask); /extent records its
// size (docs/FORMAT.md). Padding is written after the intensity mapping, so it is a stored 0 and
// never enters a case's min-max.
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

// What ImageTransform::apply stored for one case: its size [D, H, W] at the start of the
// layout's shape (the whole spatial shape unless own size) and that grid's spacing (mm, D, H, W).
struct StoredGrid {
  std::array<std::int64_t, 3> size{0, 0, 0};
  std::array<double, 3> spacing{0, 0, 0};
};

class ImageTransform {
 public:
  // UserError naming the key for settings that do not fit together.
  explicit ImageTransform(const DataConfig& config);

  // The layout: the configured shape and channels, or those of `first` where none is set.
  ImageLayout layout(const Volume& first) const;
  // Own size: the layout of `first` with the spatial shape `largest` [D, H, W] (D = 1 for 2D).
  ImageLayout layout(const Volume& first, const std::array<std::int64_t, 3>& largest) const;

  // Segmentation without data.images.shape: cases keep their own size (padded; see above).
  bool own_size() const { return own_size_; }
  // The size [D, H, W] `image` is stored at before any padding, from its geometry alone (voxels
  // may be empty: NIfTI headers). UserError naming `origin` when its channels or dimensions do
  // not fit `layout` (as apply would report).
  std::array<std::int64_t, 3> stored_size(const Volume& image, const ImageLayout& layout,
                                          const std::string& origin) const;

  // Writes `image` as product(layout.shape) stored pixels (uint8, or half bits as uint16) and,
  // when `mask` is given, the mask (nearest-neighbour, same geometry) as uint8 labels. Returns
  // the case's stored grid: the layout's size, or for own size its own (the rest zeros).
  StoredGrid apply(const Volume& image, const Volume* mask, const ImageLayout& layout,
                   const std::string& origin, void* pixels, std::uint8_t* mask_out) const;

 private:
  Volume fit(const Volume& v, const ImageLayout& layout, bool is_mask,
             const std::string& origin) const;
  void check_channels(const Volume& v, const ImageLayout& layout, bool is_mask,
                      const std::string& origin) const;
  std::array<double, 3> target_spacing(const Volume& v, const ImageLayout& layout) const;
  void map_intensity(std::vector<float>& values, const std::string& origin) const;

  DataConfig config_;
  bool own_size_ = false;
};

// UserError naming `origin` when `mask` has not `image`'s size (D x H x W): a mask must share
// its image's geometry. Works on geometry alone (voxels may be empty).
void check_mask_geometry(const Volume& image, const Volume& mask, const std::string& origin);

}  // namespace galien
