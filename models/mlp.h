// Multi-layer perceptron for clinical tables: Linear -> activation (-> dropout) per hidden
// layer, then a Linear head with one logit per class.
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class Mlp : public Model {
 public:
  Mlp(const ModelConfig& config, const ModelShape& shape);
  using Model::forward;
  torch::Tensor forward(const torch::Tensor& inputs) override;

 private:
  torch::nn::Sequential layers_;
};

std::shared_ptr<Model> make_mlp(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
