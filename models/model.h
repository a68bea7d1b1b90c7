// What every galien model is: a torch::nn::Module that maps a batch of inputs to outputs
// (logits for classification). The trainer only sees this interface.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>

namespace galien {

// Sizes a model must match, taken from the shard manifest (not from the user).
struct ModelShape {
  std::int64_t num_features = 0;  // inputs per sample
  std::int64_t num_outputs = 0;   // classes (logits)
};

class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;
};

}  // namespace galien
