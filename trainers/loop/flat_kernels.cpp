// Compiled with -O3 -fno-math-errno -ffp-contract=off (trainers/CMakeLists.txt): vectorised
// loops with a plain sqrt instruction and no contraction into fused multiply-adds, so every
// element is rounded exactly as written below whatever the instruction set. target_clones adds
// an AVX2 version picked at load time on CPUs that have it (same results, wider vectors).
#include "trainers/loop/flat_kernels.h"

#include <cmath>

namespace galien {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GALIEN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GALIEN_CLONES
#endif
// The loops inline into each clone, so they are compiled for its instruction set too.
#define GALIEN_INLINE inline __attribute__((always_inline))

// The weight-decay variants as template parameters: no branch inside the loop.
template <bool kL2, bool kDecoupled>
GALIEN_INLINE void adam_loop(float* __restrict param, const float* __restrict grad, float* __restrict m,
               float* __restrict v, std::int64_t n, const AdamCoefficients& c) {
  const float beta1 = c.beta1, a1 = c.one_minus_beta1, beta2 = c.beta2, a2 = c.one_minus_beta2;
  const float wd = c.l2_weight_decay, decay = c.decoupled_decay, bc2 = c.sqrt_bias_correction2;
  const float eps = c.eps, step = c.negative_step_size;
  for (std::int64_t i = 0; i < n; ++i) {
    float p = param[i];
    if (kDecoupled) p = p * decay;                  // p.mul_(1 - lr * wd)
    float g = grad[i];
    if (kL2) g = g + wd * p;                        // grad.add(p, wd)
    const float mi = m[i] * beta1 + a1 * g;         // mul_(beta1).add_(grad, 1 - beta1)
    const float vi = v[i] * beta2 + a2 * g * g;     // mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    const float denom = std::sqrt(vi) / bc2 + eps;  // (sqrt() / sqrt(bc2)).add_(eps)
    m[i] = mi;
    v[i] = vi;
    param[i] = p + step * mi / denom;               // addcdiv_(exp_avg, denom, -step_size)
  }
}

template <bool kL2, bool kMomentum, bool kFirst, bool kNesterov>
GALIEN_INLINE void sgd_loop(float* __restrict param, const float* __restrict grad, float* __restrict buffer,
              std::int64_t n, const SgdCoefficients& c) {
  const float wd = c.weight_decay, mu = c.momentum, lr = c.negative_lr;
  for (std::int64_t i = 0; i < n; ++i) {
    const float p = param[i];
    float d = grad[i];
    if (kL2) d = d + wd * p;                                 // grad.add(p, wd)
    if (kMomentum) {
      const float b = kFirst ? d : buffer[i] * mu + 1.0f * d;  // clone / mul_(mu).add_(d_p, 1)
      buffer[i] = b;
      d = kNesterov ? d + mu * b : b;                        // d_p.add(buf, mu) / buf
    }
    param[i] = p + lr * d;                                   // add_(d_p, -lr)
  }
}

template <bool kL2, bool kMomentum>
GALIEN_INLINE void sgd_dispatch(float* param, const float* grad, float* buffer, std::int64_t n,
                  const SgdCoefficients& c) {
  if (!kMomentum) return sgd_loop<kL2, false, false, false>(param, grad, buffer, n, c);
  if (c.first)
    return c.nesterov ? sgd_loop<kL2, true, true, true>(param, grad, buffer, n, c)
                      : sgd_loop<kL2, true, true, false>(param, grad, buffer, n, c);
  return c.nesterov ? sgd_loop<kL2, true, false, true>(param, grad, buffer, n, c)
                    : sgd_loop<kL2, true, false, false>(param, grad, buffer, n, c);
}

}  // namespace

GALIEN_CLONES
void adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                 std::int64_t n, const AdamCoefficients& c) {
  const bool l2 = c.l2_weight_decay != 0.0f;
  if (c.decoupled)
    return l2 ? adam_loop<true, true>(param, grad, exp_avg, exp_avg_sq, n, c)
              : adam_loop<false, true>(param, grad, exp_avg, exp_avg_sq, n, c);
  return l2 ? adam_loop<true, false>(param, grad, exp_avg, exp_avg_sq, n, c)
            : adam_loop<false, false>(param, grad, exp_avg, exp_avg_sq, n, c);
}

GALIEN_CLONES
void sgd_update(float* param, const float* grad, float* buffer, std::int64_t n,
                const SgdCoefficients& c) {
  const bool l2 = c.weight_decay != 0.0f, momentum = c.momentum != 0.0f;
  if (l2)
    return momentum ? sgd_dispatch<true, true>(param, grad, buffer, n, c)
                    : sgd_dispatch<true, false>(param, grad, buffer, n, c);
  return momentum ? sgd_dispatch<false, true>(param, grad, buffer, n, c)
                  : sgd_dispatch<false, false>(param, grad, buffer, n, c);
}

GALIEN_CLONES
double sum_of_squares(const float* x, std::int64_t n) {
  constexpr int kLanes = 8;
  double partial[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int k = 0; k < kLanes; ++k) {
      const double value = x[i + k];
      partial[k] += value * value;
    }
  for (; i < n; ++i) partial[0] += static_cast<double>(x[i]) * x[i];
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

GALIEN_CLONES
void scale_in_place(float* x, std::int64_t n, float scale) {
  for (std::int64_t i = 0; i < n; ++i) x[i] = x[i] * scale;
}

}  // namespace galien
