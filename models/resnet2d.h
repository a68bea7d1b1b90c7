// ResNet-18/34 for planar images [N, C, H, W] (He et al. 2016, torchvision's layout): the
// trunk of models/resnet_trunk.h with a Linear head, one logit per class. model.depth (18 | 34),
// model.small_input (MedMNIST's 28x28 / 64x64 stem), model.base_channels (0 = 64); the input
// channels come from the data.
#pragma once

#include <torch/nn/modules/linear.h>

#include "core/config/config.h"
#include "models/model.h"
#include "models/resnet_trunk.h"

namespace galien {

class ResNet2d : public Model {
 public:
  ResNet2d(const ModelConfig& config, const ModelShape& shape);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  // Images -> [N, num_outputs] logits.
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  std::shared_ptr<ResNetTrunk> trunk_;
  torch::nn::Linear head_{nullptr};
};

std::shared_ptr<Model> make_resnet2d(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
