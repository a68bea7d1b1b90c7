// DeepSurv (Katzman et al. 2018, BMC Med Res Methodol 18:24): a multi-layer perceptron whose
// single output is the log-risk h(x) of a Cox proportional hazards model, trained on the Cox
// partial likelihood (models/losses.h, cox_loss). Per hidden layer: Linear -> activation
// (model.activation; the paper's GBSG experiment uses selu) -> dropout (model.dropout).
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class DeepSurv : public Model {
 public:
  DeepSurv(const ModelConfig& config, const ModelShape& shape);
  using Model::forward;
  // [N, num_features] -> [N, 1] log-risk.
  torch::Tensor forward(const torch::Tensor& features) override;

 private:
  torch::nn::Sequential layers_;
};

std::shared_ptr<Model> make_deepsurv(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
