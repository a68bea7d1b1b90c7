// Parameters and their gradients as views of two contiguous fp32 buffers (optim.fused).
//
// A small model's step is dominated by per-tensor costs: one LibTorch dispatch per parameter
// for every optimiser operation, gradient zeroing and norm (docs/BENCHMARKS.md). With every
// parameter a view of one buffer (in registration order, each keeping its own strides, so
// channels-last weights stay channels-last) and every gradient a view of a second one, those
// become one pass over one buffer, and the gradient sync reduces the gradient buffer (or
// contiguous slices of it) in place, with no copy into or out of its buckets.
//
// LibTorch may swap a parameter's storage behind our back: Module::load (a resumed checkpoint)
// calls set_() on each parameter. ensure_views() notices (pointer comparisons, no tensor call
// in the common case), copies the new values into the buffer and makes the parameter a view
// again; the flat optimiser calls it before it touches the buffers.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

class FlatParameters {
 public:
  // Empty when `params` can be flattened: all defined, requiring gradients, fp32, on one
  // device, dense; otherwise why not (the caller falls back to per-parameter tensors).
  static std::string why_not(const std::vector<torch::Tensor>& params);

  // Moves the parameters' values into one buffer and makes each parameter (and its gradient,
  // zero-filled) a view of it. Throws InternalError when why_not() is not empty.
  explicit FlatParameters(std::vector<torch::Tensor> params);

  const std::vector<torch::Tensor>& params() const { return params_; }
  std::size_t size() const { return params_.size(); }
  std::int64_t numel() const { return values_.numel(); }
  std::int64_t offset(std::size_t i) const { return offsets_[i]; }
  const torch::Tensor& values() const { return values_; }
  const torch::Tensor& gradients() const { return gradients_; }

  // Parameter i's slice of a buffer laid out like values() (e.g. an optimiser state), viewed
  // with the parameter's shape and strides.
  torch::Tensor slot(const torch::Tensor& buffer, std::size_t i) const;

  // Makes every parameter and gradient a view of the buffers again, copying in the values of
  // any that is not (see above). UserError when a parameter changed shape.
  void ensure_views();
  void zero_gradients();  // one fill of the gradient buffer

 private:
  void bind(std::size_t i);

  std::vector<torch::Tensor> params_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::vector<std::int64_t>> sizes_, strides_;
  torch::Tensor values_, gradients_;
};

}  // namespace galien
