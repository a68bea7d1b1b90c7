#include "models/unet3d.h"

#include <torch/nn/modules/activation.h>

#include <string>

#include "core/error.h"
#include "models/layers.h"

namespace galien {
namespace {

constexpr int kDims = 3;

torch::nn::Sequential double_conv(std::int64_t in, std::int64_t out) {
  torch::nn::Sequential block;
  for (std::int64_t from : {in, out}) {
    block->push_back(make_conv(kDims, from, out, {3}, {1}, {1}, false));  // bias: batch norm's
    block->push_back(make_batch_norm(kDims, out));
    block->push_back(torch::nn::ReLU());
  }
  return block;
}

void check_spatial_size(const ImageShape& image) {
  const std::int64_t multiple = std::int64_t{1} << (UNet3d::kLevels - 1);
  for (std::int64_t size : {image.depth, image.height, image.width})
    if (size % multiple != 0)
      GALIEN_USER_ERROR("model.name 'unet3d' pools " << UNet3d::kLevels - 1 << " times, so each "
                        << "axis of the volume must be a multiple of " << multiple << "; the data "
                        << "has " << image.depth << "x" << image.height << "x" << image.width
                        << ": crop or pad the volumes when sharding");
}

}  // namespace

UNet3d::UNet3d(const ModelConfig& config, const ModelShape& shape) {
  require_image("unet3d", shape, /*volume=*/true);
  check_spatial_size(shape.image);
  GALIEN_CHECK(shape.num_outputs > 0, "U-Net with " << shape.num_outputs << " classes");
  const std::int64_t base = config.base_channels > 0 ? config.base_channels : 32;
  std::int64_t in = shape.image.channels;
  for (int level = 0; level < kLevels; ++level) {
    const std::int64_t width = base << level;
    down_.push_back(register_module("down" + std::to_string(level), double_conv(in, width)));
    in = width;
  }
  for (int level = kLevels - 2; level >= 0; --level) {
    const std::int64_t width = base << level;
    up_.push_back(make_conv_transpose(kDims, width * 2, width, 2));
    register_module("up" + std::to_string(level), up_.back().ptr());
    merge_.push_back(
        register_module("merge" + std::to_string(level), double_conv(width * 2, width)));
  }
  pool_ = make_max_pool(kDims, {2}, {2}, {0});
  register_module("pool", pool_.ptr());
  head_ = make_conv(kDims, base, shape.num_outputs, {1}, {1}, {0}, true);
  register_module("head", head_.ptr());
  init_conv_weights(*this);
}

torch::Tensor UNet3d::forward(const torch::Tensor& volumes) {
  GALIEN_CHECK(volumes.dim() == 5, "unet3d needs [N, C, D, H, W], got " << volumes.sizes());
  std::vector<torch::Tensor> skips;
  torch::Tensor x = volumes;
  for (int level = 0; level < kLevels; ++level) {
    if (level > 0) x = pool_.forward(x);
    x = down_[static_cast<std::size_t>(level)]->forward(x);
    skips.push_back(x);
  }
  for (std::size_t i = 0; i < up_.size(); ++i) {
    const torch::Tensor& skip = skips[skips.size() - 2 - i];
    x = merge_[i]->forward(torch::cat({skip, up_[i].forward(x)}, 1));
  }
  return head_.forward(x);
}

std::shared_ptr<Model> make_unet3d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<UNet3d>(config, shape);
}

}  // namespace galien
