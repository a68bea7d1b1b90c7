#include "trainers/loop/flat_parameters.h"

#include <torch/types.h>

#include <set>

#include "core/error.h"

namespace galien {
namespace {

// Each parameter starts on a 64-byte boundary, as LibTorch allocates a tensor of its own: the
// BLAS kernels that read the weights see the alignment they would without the flat buffer. The
// gaps stay zero (values, gradients and optimiser state), so no update, norm or sum sees them.
constexpr std::int64_t kAlignFloats = 16;

std::int64_t aligned(std::int64_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

}  // namespace

std::string FlatParameters::why_not(const std::vector<torch::Tensor>& params) {
  if (params.empty()) return "the model has no parameters";
  std::set<const void*> seen;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    const std::string which = "parameter " + std::to_string(i);
    if (!p.defined()) return which + " is undefined";
    if (!p.requires_grad()) return which + " is frozen (requires no gradient)";
    if (p.scalar_type() != torch::kFloat32) return which + " is not float32";
    if (p.device() != params.front().device()) return "the parameters are on several devices";
    if (!p.is_non_overlapping_and_dense()) return which + " is not dense";
    if (p.numel() > 0 && !seen.insert(p.data_ptr()).second)
      return which + " shares its storage with another (tied weights)";
  }
  return "";
}

FlatParameters::FlatParameters(std::vector<torch::Tensor> params) : params_(std::move(params)) {
  const std::string why = why_not(params_);
  GALIEN_CHECK(why.empty(), "cannot flatten the parameters: " << why);
  std::int64_t total = 0;
  for (const auto& p : params_) {
    total = aligned(total);
    offsets_.push_back(total);
    sizes_.push_back(p.sizes().vec());
    strides_.push_back(p.strides().vec());
    total += p.numel();
  }
  const auto options = params_.front().options().requires_grad(false);
  values_ = torch::zeros({total}, options);
  gradients_ = torch::zeros({total}, options);
  ensure_views();
}

torch::Tensor FlatParameters::slot(const torch::Tensor& buffer, std::size_t i) const {
  return buffer.as_strided(sizes_[i], strides_[i], buffer.storage_offset() + offsets_[i]);
}

void FlatParameters::bind(std::size_t i) {
  torch::Tensor& p = params_[i];
  const auto* value_home = static_cast<const float*>(values_.data_ptr()) + offsets_[i];
  const auto* grad_home = static_cast<const float*>(gradients_.data_ptr()) + offsets_[i];
  const torch::Tensor& grad = p.grad();
  const bool value_ok = p.data_ptr() == value_home;
  const bool grad_ok = grad.defined() && grad.data_ptr() == grad_home;
  if (value_ok && grad_ok) return;
  torch::NoGradGuard no_grad;
  if (!value_ok) {
    if (p.sizes() != c10::IntArrayRef(sizes_[i]))
      GALIEN_USER_ERROR("parameter " << i << " changed shape from " << c10::IntArrayRef(sizes_[i])
                        << " to " << p.sizes() << " (a checkpoint of another model?); use the "
                        << "config the run was trained with");
    auto view = slot(values_, i);
    view.copy_(p.detach());
    p.set_data(view);
  }
  if (!grad_ok) {
    auto view = slot(gradients_, i);
    if (grad.defined())
      view.copy_(grad);
    else
      view.zero_();
    p.mutable_grad() = view;
  }
}

void FlatParameters::ensure_views() {
  for (std::size_t i = 0; i < params_.size(); ++i) bind(i);
}

void FlatParameters::zero_gradients() {
  ensure_views();
  torch::NoGradGuard no_grad;
  gradients_.zero_();
}

}  // namespace galien
