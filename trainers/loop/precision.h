// trainer.precision: bf16 runs the forward pass under autocast (matrix products and convolutions
// in bfloat16, reductions and losses in fp32), while parameters, gradients, their reduction
// across ranks and the optimiser stay fp32 - the mixed-precision recipe that needs no loss
// scaling, since bfloat16 has fp32's exponent range.
#pragma once

#include <torch/types.h>

#include <string>

namespace galien {

// RAII: autocast to bfloat16 on `device`'s type for the scope's lifetime when `enabled`;
// restores the previous state and frees autocast's weight cache on exit.
class AutocastScope {
 public:
  AutocastScope(bool enabled, torch::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool cuda_;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

// trainer.precision -> whether autocast is on ("fp32" -> false, "bf16" -> true).
bool use_bf16(const std::string& precision);

}  // namespace galien
