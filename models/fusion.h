// Late-fusion model for samples that have both an image and clinical features: a ResNet image
// encoder (models/resnet_trunk.h; model.image_encoder, model.depth, model.small_input,
// model.base_channels) and a clinical MLP (model.hidden, model.activation, model.dropout) each
// make an embedding; their concatenation goes through a Linear head to num_outputs logits.
#pragma once

#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "core/config/config.h"
#include "models/model.h"
#include "models/resnet_trunk.h"

namespace galien {

class Fusion : public Model {
 public:
  Fusion(const ModelConfig& config, const ModelShape& shape);
  InputKind input_kind() const override { return InputKind::kFeaturesAndImage; }
  // inputs.image and inputs.features -> [N, num_outputs] logits.
  torch::Tensor forward(const ModelInputs& inputs) override;
  // Not usable alone: fusion needs both inputs (an internal error if called).
  torch::Tensor forward(const torch::Tensor& inputs) override;

 private:
  std::shared_ptr<ResNetTrunk> image_encoder_;
  torch::nn::Sequential clinical_;
  torch::nn::Linear head_{nullptr};
};

std::shared_ptr<Model> make_fusion(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
