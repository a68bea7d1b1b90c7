// 3D ResNet-18/34 for volumes [N, C, D, H, W]: torchvision's r3d_18 layout (Tran et al. 2018,
// 3x7x7 stem with stride 1x2x2, 3x3x3 basic blocks) with a Linear head, one logit per class.
// model.depth (18 | 34), model.small_input (3x3x3 stride-1 stem for small volumes),
// model.base_channels (0 = 64); the input channels come from the data.
#pragma once

#include <torch/nn/modules/linear.h>

#include "core/config/config.h"
#include "models/model.h"
#include "models/resnet_trunk.h"

namespace galien {

class ResNet3d : public Model {
 public:
  ResNet3d(const ModelConfig& config, const ModelShape& shape);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  // Images -> [N, num_outputs] logits.
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  std::shared_ptr<ResNetTrunk> trunk_;
  torch::nn::Linear head_{nullptr};
};

std::shared_ptr<Model> make_resnet3d(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
