// Optimisers by name (adam, adamw, sgd with momentum/Nesterov), the learning-rate setter the
// schedule drives, and gradient-norm clipping. Clipping needs no communication: it runs after
// the gradient allreduce, when every rank holds the same global gradient.
#pragma once

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "core/config/config.h"

namespace galien {

class FlatParameters;

// optim.fused (default): the flat optimiser (trainers/loop/flat_optimizer.h), unless the parameters
// cannot share one buffer (mixed dtypes or devices, tied or frozen weights), which is logged
// once and falls back to LibTorch's. optim.fused: false: LibTorch's Adam / AdamW / SGD.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimConfig& config,
                                                        const std::vector<torch::Tensor>& params);
// LibTorch's own optimiser for `config`, whatever optim.fused says.
std::unique_ptr<torch::optim::Optimizer> make_libtorch_optimizer(
    const OptimConfig& config, const std::vector<torch::Tensor>& params);
// The flat buffers of a fused optimiser; nullptr for LibTorch's.
FlatParameters* flat_parameters(torch::optim::Optimizer& optimizer);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
// Zeroes gradients in place. Not Optimizer::zero_grad(): it calls detach_(), which gradients
// that are views into the gradient-sync buckets cannot take (PyTorch DDP's
// gradient_as_bucket_view has the same constraint).
void zero_gradients(const std::vector<torch::Tensor>& params);
// Scales gradients so their global L2 norm is at most max_norm; returns the norm before.
double clip_gradient_norm(const std::vector<torch::Tensor>& params, double max_norm);
// The same over one flat gradient buffer (FlatParameters::gradients()): one norm, one scale.
double clip_gradient_norm(const torch::Tensor& flat_gradients, double max_norm);

}  // namespace galien
