// ResNet-18/34 classifiers (He et al. 2016, torchvision's layout) for planar images
// [N, C, H, W] (`resnet2d`) and volumes [N, C, D, H, W] (`resnet3d`, torchvision's r3d_18
// layout: 3x7x7 stem with stride 1x2x2): the trunk of models/resnet_trunk.h with a Linear head,
// one logit per class. model.depth (18 | 34 | 50 | 101), model.small_input (3x3 stride-1 stem for
// MedMNIST-size images and small volumes), model.base_channels (0 = 64); the input channels
// come from the data. One class: the two differ only in the trunk's spatial dimensions.
#pragma once

#include <torch/nn/modules/linear.h>

#include "core/config/config.h"
#include "models/model.h"
#include "models/resnet_trunk.h"

namespace galien {

class ResNetClassifier : public Model {
 public:
  // dims: 2 = planar images, 3 = volumes.
  ResNetClassifier(const ModelConfig& config, const ModelShape& shape, int dims);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  // Images -> [N, num_outputs] logits.
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  std::shared_ptr<ResNetTrunk> trunk_;
  torch::nn::Linear head_{nullptr};
};

std::shared_ptr<Model> make_resnet2d(const ModelConfig& config, const ModelShape& shape);
std::shared_ptr<Model> make_resnet3d(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
