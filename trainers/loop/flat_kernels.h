// The flat optimiser's CPU update passes (trainers/loop/flat_optimizer.h): one loop over the whole
// fp32 buffer per step, no allocation, no LibTorch (this file compiles in a second).
//
// Each element follows LibTorch 1.13's per-parameter tensor ops exactly in order and in float
// arithmetic (torch/csrc/api/src/optim/adam.cpp, adamw.cpp, sgd.cpp), with the double
// hyper-parameters rounded to float as LibTorch rounds a Scalar for a float tensor. LibTorch's
// vectorised add_ uses a fused multiply-add where these loops round twice, so the two differ in
// the last bit of some elements; tests/unit/test_flat_optimizer.cpp bounds the difference.
// Elementwise, so the result does not depend on the vector width the loop compiles to.
#pragma once

#include <cstdint>

namespace galien {

// Adam (L2 weight decay added to the gradient) and AdamW (decoupled: parameters scaled first).
struct AdamCoefficients {
  float beta1, one_minus_beta1;  // exp_avg.mul_(beta1).add_(grad, 1 - beta1)
  float beta2, one_minus_beta2;  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
  float l2_weight_decay;         // Adam: grad = grad.add(p, weight_decay); 0 = none
  float decoupled_decay;         // AdamW: p.mul_(1 - lr * weight_decay); 1 = none
  bool decoupled;                // AdamW's decay applies
  float sqrt_bias_correction2;   // denom = exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps
  float eps;
  float negative_step_size;      // p.addcdiv_(exp_avg, denom, -lr / bias_correction1)
};
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 std::int64_t n, const AdamCoefficients& c);

// SGD with momentum (dampening 0, as optim.* offers), Nesterov, L2 weight decay.
struct SgdCoefficients {
  float weight_decay;   // d_p = grad.add(p, weight_decay); 0 = none
  float momentum;       // 0 = plain SGD: `buffer` unused
  bool first;           // the momentum buffer starts as a copy of d_p (LibTorch's clone)
  bool nesterov;        // d_p = d_p.add(buffer, momentum), else d_p = buffer
  float negative_lr;    // p.add_(d_p, -lr)
};
void sgd_update(float* param, const float* grad, float* buffer, std::int64_t n,
                const SgdCoefficients& c);

// Sum of x^2 in double, for the gradient norm (fixed-order partial sums: the same bits on
// every run and rank), and x *= scale.
double sum_of_squares(const float* x, std::int64_t n);
void scale_in_place(float* x, std::int64_t n, float scale);

}  // namespace galien
