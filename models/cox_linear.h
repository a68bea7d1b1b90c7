// Linear Cox proportional hazards model: log-risk = x . beta, one Linear layer without bias (the
// partial likelihood is invariant to a constant shift of the log-risk, so an intercept is not
// identifiable). Trained on cox_loss (models/losses.h) it is R's coxph on the same covariates.
#pragma once

#include <torch/nn/modules/linear.h>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class CoxLinear : public Model {
 public:
  explicit CoxLinear(const ModelShape& shape);
  using Model::forward;
  // [N, num_features] -> [N, 1] log-risk.
  torch::Tensor forward(const torch::Tensor& features) override;
  // beta, [1, num_features].
  const torch::Tensor& coefficients() const { return linear_->weight; }

 private:
  torch::nn::Linear linear_{nullptr};
};

std::shared_ptr<Model> make_cox_linear(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
