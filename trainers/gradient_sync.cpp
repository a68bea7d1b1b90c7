#include "trainers/gradient_sync.h"

#include <torch/torch.h>

#include "core/error.h"

namespace galien {

FlatGradientSync::FlatGradientSync(std::vector<torch::Tensor> parameters, const Comm& comm)
    : parameters_(std::move(parameters)), comm_(comm) {
  std::int64_t total = 0;
  for (const auto& p : parameters_) {
    GALIEN_CHECK(p.device().is_cpu(), "CPU parameters expected (GPU sync is not built yet)");
    total += p.numel();
  }
  flat_ = torch::zeros({total}, torch::kFloat32);
}

void FlatGradientSync::broadcast_parameters(int root) {
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (const auto& p : parameters_) {
    flat_.narrow(0, offset, p.numel()).copy_(p.detach().reshape({-1}));
    offset += p.numel();
  }
  comm_.broadcast(flat_.data_ptr<float>(), num_elements() * sizeof(float), root);
  offset = 0;
  for (auto& p : parameters_) {
    p.copy_(flat_.narrow(0, offset, p.numel()).view_as(p));
    offset += p.numel();
  }
}

void FlatGradientSync::allreduce_gradients() {
  if (comm_.size() == 1) return;
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (const auto& p : parameters_) {
    auto slot = flat_.narrow(0, offset, p.numel());
    if (p.grad().defined())
      slot.copy_(p.grad().reshape({-1}));
    else
      slot.zero_();
    offset += p.numel();
  }
  comm_.allreduce_sum(flat_.data_ptr<float>(), num_elements());
  offset = 0;
  for (auto& p : parameters_) {
    auto slot = flat_.narrow(0, offset, p.numel()).view_as(p);
    if (p.grad().defined())
      p.mutable_grad().copy_(slot);
    else
      p.mutable_grad() = slot.clone();
    offset += p.numel();
  }
}

}  // namespace galien
