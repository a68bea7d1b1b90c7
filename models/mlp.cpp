#include "models/mlp.h"

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "core/error.h"
#include "models/layers.h"

namespace galien {

Mlp::Mlp(const ModelConfig& config, const ModelShape& shape) {
  require_features("mlp", shape);
  GALIEN_CHECK(shape.num_outputs > 0, "MLP with " << shape.num_outputs << " outputs");
  std::int64_t width = shape.num_features;
  for (std::int64_t hidden : config.hidden) {
    layers_->push_back(torch::nn::Linear(width, hidden));
    layers_->push_back(make_activation(config.activation));
    if (config.dropout > 0) layers_->push_back(torch::nn::Dropout(config.dropout));
    width = hidden;
  }
  layers_->push_back(torch::nn::Linear(width, shape.num_outputs));
  register_module("layers", layers_);
}

torch::Tensor Mlp::forward(const torch::Tensor& inputs) { return layers_->forward(inputs); }

std::shared_ptr<Model> make_mlp(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<Mlp>(config, shape);
}

}  // namespace galien
