// optim.fused: Adam, AdamW and SGD (momentum, Nesterov, weight decay) as one update pass over
// one flat parameter buffer (trainers/loop/flat_parameters.h) instead of LibTorch's ~9 tensor ops
// per parameter tensor, with LibTorch's formulas (trainers/loop/flat_kernels.h).
//
// A torch::optim::Optimizer like the others: the same param group and options (so the
// learning-rate schedule sets lr the same way), and checkpoints in LibTorch's own layout:
// save() writes per-parameter exp_avg / exp_avg_sq / step (Adam, AdamW) or momentum_buffer
// (SGD) exactly as torch::optim::Adam / AdamW / SGD serialise them, and load() reads theirs,
// so a checkpoint resumes in either mode whichever mode wrote it.
//
// Kernels: on the CPU one tight loop over the float buffer (flat_kernels.cpp); elsewhere (CUDA)
// a handful of in-place LibTorch ops over the whole flat tensors, into preallocated scratch.
// Every parameter is stepped every step: LibTorch skips one whose gradient is undefined, but
// here every gradient is a (zeroed) view of the flat buffer from the start, as with the
// bucketed gradient sync.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "core/config/config.h"
#include "trainers/loop/flat_parameters.h"

namespace galien {

class FlatOptimizer : public torch::optim::Optimizer {
 public:
  enum class Kernel { kAuto, kLoop, kTensorOps };  // kAuto: kLoop on the CPU
  enum class Rule { kAdam, kAdamW, kSgd };

  // `params` must pass FlatParameters::why_not(); `config.name` one of adam, adamw, sgd.
  FlatOptimizer(const OptimConfig& config, std::vector<torch::Tensor> params,
                Kernel kernel = Kernel::kAuto);

  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  FlatParameters& flat() { return flat_; }
  const FlatParameters& flat() const { return flat_; }
  std::int64_t steps() const { return step_; }
  bool uses_loop() const { return loop_; }

 private:
  struct AdamScalars {
    double beta1, beta2, eps, bias_correction1, bias_correction2;
  };
  AdamScalars adam_scalars() const;  // Adam / AdamW at step_
  void step_loop(double lr);
  void step_tensor_ops(double lr);

  OptimConfig config_;
  Rule rule_;
  FlatParameters flat_;
  bool loop_;
  std::int64_t step_ = 0;           // Adam/AdamW: steps taken (LibTorch keeps one per parameter)
  bool have_momentum_ = false;      // SGD: the momentum buffer holds a value
  torch::Tensor exp_avg_, exp_avg_sq_, momentum_;  // laid out like flat_.values()
  torch::Tensor scratch_, denom_;   // tensor-ops kernel only
};

}  // namespace galien
