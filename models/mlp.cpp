#include "models/mlp.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "core/error.h"

namespace galien {
namespace {

torch::nn::AnyModule activation(const std::string& name) {
  if (name == "relu") return torch::nn::AnyModule(torch::nn::ReLU());
  if (name == "gelu") return torch::nn::AnyModule(torch::nn::GELU());
  if (name == "selu") return torch::nn::AnyModule(torch::nn::SELU());
  if (name == "tanh") return torch::nn::AnyModule(torch::nn::Tanh());
  GALIEN_USER_ERROR("model.activation '" << name << "' is not one of relu, gelu, selu, tanh");
}

}  // namespace

Mlp::Mlp(const ModelConfig& config, const ModelShape& shape) {
  GALIEN_CHECK(shape.num_features > 0 && shape.num_outputs > 0,
               "MLP shape " << shape.num_features << " -> " << shape.num_outputs);
  std::int64_t width = shape.num_features;
  for (std::int64_t hidden : config.hidden) {
    layers_->push_back(torch::nn::Linear(width, hidden));
    layers_->push_back(activation(config.activation));
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
