#include "models/cox_linear.h"

#include <torch/nn/init.h>

namespace galien {

CoxLinear::CoxLinear(const ModelShape& shape) {
  require_features("cox_linear", shape);
  linear_ = register_module(
      "linear", torch::nn::Linear(torch::nn::LinearOptions(shape.num_features, 1).bias(false)));
  // beta = 0, as coxph starts: every patient has the same risk until the data says otherwise.
  torch::NoGradGuard no_grad;
  torch::nn::init::zeros_(linear_->weight);
}

torch::Tensor CoxLinear::forward(const torch::Tensor& features) {
  return linear_->forward(features);
}

std::shared_ptr<Model> make_cox_linear(const ModelConfig& /*config*/, const ModelShape& shape) {
  return std::make_shared<CoxLinear>(shape);
}

}  // namespace galien
