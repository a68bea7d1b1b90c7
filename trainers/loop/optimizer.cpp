#include "trainers/loop/optimizer.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "trainers/loop/flat_kernels.h"
#include "trainers/loop/flat_optimizer.h"

namespace galien {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimConfig& config,
                                                        const std::vector<torch::Tensor>& params) {
  if (config.fused) {
    const std::string why = FlatParameters::why_not(params);
    if (why.empty()) return std::make_unique<FlatOptimizer>(config, params);
    log::info0("optim.fused: {}, so LibTorch's per-parameter {} runs instead", why, config.name);
  }
  return make_libtorch_optimizer(config, params);
}

FlatParameters* flat_parameters(torch::optim::Optimizer& optimizer) {
  auto* flat = dynamic_cast<FlatOptimizer*>(&optimizer);
  return flat ? &flat->flat() : nullptr;
}

std::unique_ptr<torch::optim::Optimizer> make_libtorch_optimizer(
    const OptimConfig& config, const std::vector<torch::Tensor>& params) {
  if (config.name == "adam")
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  if (config.name == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(config.learning_rate).weight_decay(config.weight_decay));
  if (config.name == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(config.learning_rate)
                    .momentum(config.momentum)
                    .nesterov(config.nesterov)
                    .weight_decay(config.weight_decay));
  GALIEN_USER_ERROR("optim.name '" << config.name << "' is not one of adam, adamw, sgd");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

void zero_gradients(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  for (const auto& p : params)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

double clip_gradient_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  double sum_of_squares = 0.0;
  for (const auto& p : params)
    if (p.grad().defined()) sum_of_squares += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
  const double norm = std::sqrt(sum_of_squares);
  if (max_norm > 0 && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    for (const auto& p : params)
      if (p.grad().defined()) p.mutable_grad().mul_(scale);
  }
  return norm;
}

double clip_gradient_norm(const torch::Tensor& flat_gradients, double max_norm) {
  torch::NoGradGuard no_grad;
  const bool host = flat_gradients.device().is_cpu() && flat_gradients.is_contiguous();
  auto* g = host ? static_cast<float*>(flat_gradients.data_ptr()) : nullptr;
  const std::int64_t n = flat_gradients.numel();
  const double norm = std::sqrt(host ? sum_of_squares(g, n)
                                     : flat_gradients.to(torch::kFloat64).pow(2).sum().item<double>());
  if (max_norm > 0 && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    if (host)
      scale_in_place(g, n, static_cast<float>(scale));
    else
      flat_gradients.mul_(scale);
  }
  return norm;
}

}  // namespace galien
