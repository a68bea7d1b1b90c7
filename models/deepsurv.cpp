#include "models/deepsurv.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "models/layers.h"

namespace galien {
namespace {

// Glorot-uniform weights and zero biases: the initialisation of the authors' code (Lasagne
// DenseLayer defaults, deepsurv/deep_surv.py), for every activation.
torch::nn::Linear glorot_linear(std::int64_t in, std::int64_t out, bool bias) {
  torch::nn::Linear layer(torch::nn::LinearOptions(in, out).bias(bias));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(layer->weight);
  if (bias) torch::nn::init::zeros_(layer->bias);
  return layer;
}

}  // namespace

DeepSurv::DeepSurv(const ModelConfig& config, const ModelShape& shape) {
  require_features("deepsurv", shape);
  std::int64_t width = shape.num_features;
  for (std::int64_t hidden : config.hidden) {
    layers_->push_back(glorot_linear(width, hidden, true));
    layers_->push_back(make_activation(config.activation));
    if (config.dropout > 0) layers_->push_back(torch::nn::Dropout(config.dropout));
    width = hidden;
  }
  // No bias on the output: the partial likelihood does not change when every log-risk moves by
  // the same constant, so a bias would get a zero gradient and never train.
  layers_->push_back(glorot_linear(width, 1, false));
  register_module("layers", layers_);
}

torch::Tensor DeepSurv::forward(const torch::Tensor& features) {
  return layers_->forward(features);
}

std::shared_ptr<Model> make_deepsurv(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<DeepSurv>(config, shape);
}

}  // namespace galien
