// 3D U-Net for volumetric segmentation (Cicek et al. 2016, MICCAI; the common symmetric variant
// used by nnU-Net and MONAI rather than the paper's widening-within-a-level convolutions).
// Four resolution levels with widths base x {1, 2, 4, 8} (model.base_channels, 0 = 32): each
// level is two 3x3x3 conv -> batch norm -> ReLU; 2x2x2 max-pool down, 2x2x2 transposed conv up,
// skip connections by concatenation; a 1x1x1 conv gives one logit per class and voxel.
// [N, C, D, H, W] -> [N, num_outputs, D, H, W]; D, H and W must be multiples of 8. Train with
// dice_ce_loss (models/losses.h).
#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>

#include <vector>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class UNet3d : public Model {
 public:
  UNet3d(const ModelConfig& config, const ModelShape& shape);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  torch::Tensor forward(const torch::Tensor& volumes) override;

  static constexpr int kLevels = 4;  // resolutions; the input must divide by 2^(kLevels - 1)

 private:
  std::vector<torch::nn::Sequential> down_;  // kLevels double convs, the last is the bottleneck
  std::vector<torch::nn::AnyModule> up_;     // kLevels - 1 transposed convs, deepest first
  std::vector<torch::nn::Sequential> merge_; // kLevels - 1 double convs after concatenation
  torch::nn::AnyModule pool_, head_;
};

std::shared_ptr<Model> make_unet3d(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
