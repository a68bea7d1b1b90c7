// U-Net for segmentation as nnU-Net builds it (Isensee et al. 2021, Nature Methods 18:203; the
// PlainConvUNet of its dynamic_network_architectures package), one implementation for planar
// images (`unet2d`, [N, C, H, W]) and volumes (`unet3d`, [N, C, D, H, W]).
//
//  - `model.levels` resolution levels (0 = 4, at least 2), widths base x 2^level
//    (`model.base_channels`, 0 = 32) capped at 320 channels in 3D and 512 in 2D, as nnU-Net's
//    UNet_max_features_3d / _2d.
//  - Each level of the encoder and of the decoder: two (3x3(x3) conv -> instance norm (affine)
//    -> LeakyReLU(0.01)). `model.dropout` > 0 puts channel dropout after each conv, where
//    nnU-Net's ConvDropoutNormReLU has its (unused by default) dropout_op.
//  - Downsampling by strided convolution: the first conv of every level below the top has
//    stride 2, as PlainConvUNet (and nnU-Net v1's trainer, Generic_UNet with
//    convolutional_pooling), rather than the max-pooling of the original U-Nets (Ronneberger
//    2015, Cicek 2016): the network learns its downsampling, the first conv of a level runs at
//    the lower resolution (1/2^dims of the cost of a full-resolution conv followed by a pool),
//    and it is the network nnU-Net's published results were trained with.
//  - Upsampling by transposed conv (kernel = stride = 2, with bias), concatenation
//    [upsampled, skip] as nnU-Net's UNetDecoder, then the level's two convs.
//  - Head: a 1x1(x1) conv with bias, one logit per class and pixel/voxel (train with
//    dice_ce_loss, models/losses.h).
//  - Convolutions before instance norm have no bias: the norm subtracts each channel's mean, so
//    a bias there cancels exactly (nnU-Net v2's plans set conv_bias: true, which adds those
//    redundant parameters; left out, the network computes the same functions).
//  - Initialisation as nnU-Net's InitWeights_He(1e-2): He-normal (fan-in, leaky ReLU gain with
//    slope 0.01) for every conv and transposed-conv weight, zero biases.
//  - Deep supervision (nnU-Net's auxiliary heads at the lower decoder levels) is not built:
//    one output at full resolution.
//
// The input's spatial size must divide by 2^(levels - 1) on every axis (each level below the
// top halves it); the model is built for the training patch (ModelShape.image), and a patch of
// another size is a UserError naming trainer.patch_size and the divisor.
#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class UNet : public Model {
 public:
  static constexpr int kDefaultLevels = 4;
  static constexpr std::int64_t kDefaultBase = 32;
  static constexpr std::int64_t kMaxWidth3d = 320;  // nnU-Net's UNet_max_features_3d
  static constexpr std::int64_t kMaxWidth2d = 512;  // nnU-Net's UNet_max_features_2d

  // dims = 2 (unet2d) or 3 (unet3d); `name` is the registry name, for messages.
  UNet(int dims, const std::string& name, const ModelConfig& config, const ModelShape& shape);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  torch::Tensor forward(const torch::Tensor& images) override;

  int levels() const { return static_cast<int>(widths_.size()); }
  const std::vector<std::int64_t>& widths() const { return widths_; }
  // Every spatial axis of the input must be a multiple of this: 2^(levels - 1).
  std::int64_t size_divisor() const { return std::int64_t{1} << (levels() - 1); }

 private:
  // UserError when a spatial size of `sizes` (one entry per axis) does not divide.
  void check_spatial_sizes(const std::vector<std::int64_t>& sizes) const;

  int dims_;
  std::string name_;
  std::vector<std::int64_t> widths_;              // channels per level, top first
  std::vector<torch::nn::Sequential> encoder_;    // one stage per level; the last = bottleneck
  std::vector<torch::nn::AnyModule> up_;          // levels - 1 transposed convs, deepest first
  std::vector<torch::nn::Sequential> decoder_;    // levels - 1 stages, deepest first
  torch::nn::AnyModule head_;
};

std::shared_ptr<Model> make_unet2d(const ModelConfig& config, const ModelShape& shape);
std::shared_ptr<Model> make_unet3d(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
