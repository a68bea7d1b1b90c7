#include "trainers/loop/flat_optimizer.h"

#include <ATen/Parallel.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"
#include "trainers/loop/flat_kernels.h"
#include "trainers/loop/optimizer.h"

namespace galien {
namespace {

FlatOptimizer::Rule rule_of(const std::string& name) {
  if (name == "adam") return FlatOptimizer::Rule::kAdam;
  if (name == "adamw") return FlatOptimizer::Rule::kAdamW;
  if (name == "sgd") return FlatOptimizer::Rule::kSgd;
  GALIEN_USER_ERROR("optim.name '" << name << "' is not one of adam, adamw, sgd");
}

// The key LibTorch's optimisers file a parameter's state under (torch/optim/serialize.h: the
// TensorImpl's address streamed into a string, as c10::guts::to_string does; spelt out here
// because newer LibTorch versions drop that helper).
std::string state_key(const torch::Tensor& p) {
  std::ostringstream key;
  key << static_cast<const void*>(p.unsafeGetTensorImpl());
  return key.str();
}

// Elements per chunk when the loop runs on several intra-op threads (trainer.threads > 1):
// large enough that a chunk's work dwarfs the hand-over, and elementwise, so the result does
// not depend on the split.
constexpr std::int64_t kChunk = 1 << 18;

template <class F>
void for_chunks(std::int64_t n, F&& f) {
  at::parallel_for(0, n, kChunk, [&](std::int64_t begin, std::int64_t end) { f(begin, end - begin); });
}

// The state LibTorch keeps for one parameter, whichever of the three rules.
struct SavedState {
  std::int64_t step = 0;
  torch::Tensor first, second;  // exp_avg, exp_avg_sq; or momentum_buffer, undefined
  bool amsgrad = false;
};

bool read_state(FlatOptimizer::Rule rule, const torch::optim::OptimizerParamState& state,
                SavedState& out) {
  if (rule == FlatOptimizer::Rule::kAdam) {
    const auto* s = dynamic_cast<const torch::optim::AdamParamState*>(&state);
    if (!s) return false;
    out = {s->step(), s->exp_avg(), s->exp_avg_sq(), s->max_exp_avg_sq().defined()};
  } else if (rule == FlatOptimizer::Rule::kAdamW) {
    const auto* s = dynamic_cast<const torch::optim::AdamWParamState*>(&state);
    if (!s) return false;
    out = {s->step(), s->exp_avg(), s->exp_avg_sq(), s->max_exp_avg_sq().defined()};
  } else {
    const auto* s = dynamic_cast<const torch::optim::SGDParamState*>(&state);
    if (!s) return false;
    out = {0, s->momentum_buffer(), {}, false};
  }
  return true;
}

void copy_checked(const torch::Tensor& to, const torch::Tensor& from, std::size_t i) {
  if (!from.defined() || from.sizes() != to.sizes())
    GALIEN_USER_ERROR("the checkpoint's optimiser state of parameter " << i << " has shape "
                      << (from.defined() ? c10::str(from.sizes()) : std::string("(none)"))
                      << ", the parameter " << to.sizes() << "; resume with the config the run "
                      << "was trained with");
  to.copy_(from);
}

}  // namespace

FlatOptimizer::FlatOptimizer(const OptimConfig& config, std::vector<torch::Tensor> params,
                             Kernel kernel)
    : Optimizer(params, make_libtorch_optimizer(config, params)->defaults().clone()),
      config_(config),
      rule_(rule_of(config.name)),
      flat_(std::move(params)) {
  GALIEN_CHECK(param_groups_.size() == 1, "the flat optimiser has one parameter group");
  const torch::Tensor& values = flat_.values();
  loop_ = kernel == Kernel::kLoop || (kernel == Kernel::kAuto && values.device().is_cpu());
  GALIEN_CHECK(!loop_ || values.device().is_cpu(), "the loop kernel runs on the CPU only");
  if (rule_ == Rule::kSgd) {
    if (config_.momentum != 0) momentum_ = torch::zeros_like(values);
  } else {
    exp_avg_ = torch::zeros_like(values);
    exp_avg_sq_ = torch::zeros_like(values);
  }
  if (!loop_) {
    scratch_ = torch::zeros_like(values);
    denom_ = torch::zeros_like(values);
  }
}

torch::Tensor FlatOptimizer::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  flat_.ensure_views();
  const double lr = param_groups_.front().options().get_lr();
  ++step_;
  if (loop_)
    step_loop(lr);
  else
    step_tensor_ops(lr);
  if (rule_ == Rule::kSgd && momentum_.defined()) have_momentum_ = true;
  return loss;
}

FlatOptimizer::AdamScalars FlatOptimizer::adam_scalars() const {
  const auto& options = param_groups_.front().options();
  const auto betas = rule_ == Rule::kAdam
                         ? static_cast<const torch::optim::AdamOptions&>(options).betas()
                         : static_cast<const torch::optim::AdamWOptions&>(options).betas();
  AdamScalars a;
  a.eps = rule_ == Rule::kAdam ? static_cast<const torch::optim::AdamOptions&>(options).eps()
                               : static_cast<const torch::optim::AdamWOptions&>(options).eps();
  a.beta1 = std::get<0>(betas);
  a.beta2 = std::get<1>(betas);
  a.bias_correction1 = 1 - std::pow(a.beta1, step_);  // as LibTorch: double, per step
  a.bias_correction2 = 1 - std::pow(a.beta2, step_);
  return a;
}

void FlatOptimizer::step_loop(double lr) {
  auto* p = static_cast<float*>(flat_.values().data_ptr());
  const auto* g = static_cast<const float*>(flat_.gradients().data_ptr());
  const std::int64_t n = flat_.numel();
  const double wd = config_.weight_decay;
  if (rule_ == Rule::kSgd) {
    const double momentum = config_.momentum;
    const SgdCoefficients c{static_cast<float>(wd), static_cast<float>(momentum), !have_momentum_,
                            config_.nesterov, static_cast<float>(-1 * lr)};
    float* buffer = momentum_.defined() ? static_cast<float*>(momentum_.data_ptr()) : nullptr;
    for_chunks(n, [&](std::int64_t at, std::int64_t count) {
      sgd_update(p + at, g + at, buffer ? buffer + at : nullptr, count, c);
    });
    return;
  }
  const AdamScalars a = adam_scalars();
  const double beta1 = a.beta1, beta2 = a.beta2, eps = a.eps;
  const double bias_correction1 = a.bias_correction1, bias_correction2 = a.bias_correction2;
  const bool decoupled = rule_ == Rule::kAdamW && wd != 0;
  const AdamCoefficients c{static_cast<float>(beta1),
                           static_cast<float>(1 - beta1),
                           static_cast<float>(beta2),
                           static_cast<float>(1 - beta2),
                           rule_ == Rule::kAdam ? static_cast<float>(wd) : 0.0f,
                           static_cast<float>(1 - lr * wd),
                           decoupled,
                           static_cast<float>(std::sqrt(bias_correction2)),
                           static_cast<float>(eps),
                           static_cast<float>(-(lr / bias_correction1))};
  auto* m = static_cast<float*>(exp_avg_.data_ptr());
  auto* v = static_cast<float*>(exp_avg_sq_.data_ptr());
  for_chunks(n, [&](std::int64_t at, std::int64_t count) {
    adam_update(p + at, g + at, m + at, v + at, count, c);
  });
}

// The same formulas as LibTorch's, as in-place ops over the whole flat tensors (any device).
void FlatOptimizer::step_tensor_ops(double lr) {
  const torch::Tensor& p = flat_.values();
  const torch::Tensor& g = flat_.gradients();
  const double wd = config_.weight_decay;
  if (rule_ == Rule::kSgd) {
    const double momentum = config_.momentum;
    torch::Tensor d = g;
    if (wd != 0) d = torch::add_out(scratch_, g, p, wd);
    if (momentum != 0) {
      if (have_momentum_)
        momentum_.mul_(momentum).add_(d, 1);
      else
        momentum_.copy_(d);
      d = config_.nesterov ? torch::add_out(scratch_, d, momentum_, momentum) : momentum_;
    }
    p.add_(d, -1 * lr);
    return;
  }
  const AdamScalars a = adam_scalars();
  const double beta1 = a.beta1, beta2 = a.beta2, eps = a.eps;
  const double bias_correction1 = a.bias_correction1, bias_correction2 = a.bias_correction2;
  if (rule_ == Rule::kAdamW && wd != 0) p.mul_(1 - lr * wd);
  torch::Tensor grad = g;
  if (rule_ == Rule::kAdam && wd != 0) grad = torch::add_out(scratch_, g, p, wd);
  exp_avg_.mul_(beta1).add_(grad, 1 - beta1);
  exp_avg_sq_.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
  torch::sqrt_out(denom_, exp_avg_sq_).div_(std::sqrt(bias_correction2)).add_(eps);
  p.addcdiv_(exp_avg_, denom_, -(lr / bias_correction1));
}

void FlatOptimizer::save(torch::serialize::OutputArchive& archive) const {
  torch::NoGradGuard no_grad;
  const auto& params = param_groups_.front().params();
  auto like = make_libtorch_optimizer(config_, params);
  like->param_groups().front().options().set_lr(param_groups_.front().options().get_lr());
  auto& state = like->state();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string key = state_key(params[i]);
    if (rule_ == Rule::kAdam && step_ > 0) {
      auto s = std::make_unique<torch::optim::AdamParamState>();
      s->step(step_);
      s->exp_avg(flat_.slot(exp_avg_, i).clone());
      s->exp_avg_sq(flat_.slot(exp_avg_sq_, i).clone());
      state[key] = std::move(s);
    } else if (rule_ == Rule::kAdamW && step_ > 0) {
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->step(step_);
      s->exp_avg(flat_.slot(exp_avg_, i).clone());
      s->exp_avg_sq(flat_.slot(exp_avg_sq_, i).clone());
      state[key] = std::move(s);
    } else if (rule_ == Rule::kSgd && have_momentum_) {
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(flat_.slot(momentum_, i).clone());
      state[key] = std::move(s);
    }
  }
  like->save(archive);
}

void FlatOptimizer::load(torch::serialize::InputArchive& archive) {
  // load_checkpoint loads the model first: Module::load gave each parameter new storage.
  flat_.ensure_views();
  const auto& params = param_groups_.front().params();
  auto like = make_libtorch_optimizer(config_, params);
  like->load(archive);
  torch::NoGradGuard no_grad;
  for (const auto& t : {exp_avg_, exp_avg_sq_, momentum_})
    if (t.defined()) t.zero_();
  std::size_t found = 0;
  std::set<std::int64_t> steps;
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto it = like->state().find(state_key(params[i]));
    if (it == like->state().end()) continue;
    SavedState saved;
    if (!read_state(rule_, *it->second, saved))
      GALIEN_USER_ERROR("the checkpoint's optimiser state is not " << config_.name << "'s");
    if (saved.amsgrad)
      GALIEN_USER_ERROR("the checkpoint's optimiser state is AMSGrad's, which optim.* does not "
                        << "offer; set optim.fused: false");
    ++found;
    steps.insert(saved.step);
    if (rule_ == Rule::kSgd) {
      if (momentum_.defined()) copy_checked(flat_.slot(momentum_, i), saved.first, i);
    } else {
      copy_checked(flat_.slot(exp_avg_, i), saved.first, i);
      copy_checked(flat_.slot(exp_avg_sq_, i), saved.second, i);
    }
  }
  // LibTorch keeps a step count per parameter (and no state for one that never had a
  // gradient); the flat optimiser steps all parameters together.
  if ((found != 0 && found != params.size()) || steps.size() > 1)
    GALIEN_USER_ERROR("the checkpoint's optimiser state has " << found << " of " << params.size()
                      << " parameters and " << steps.size() << " different step counts (some "
                      << "parameters were not trained at every step); the fused optimiser steps "
                      << "all parameters together: resume with optim.fused: false");
  step_ = found == 0 ? 0 : *steps.begin();
  have_momentum_ = found != 0 && momentum_.defined();
}

}  // namespace galien
