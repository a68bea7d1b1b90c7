// What every galien model is: a torch::nn::Module that maps a batch of inputs to outputs
// (logits for classification, one log-risk per sample for survival, per-voxel logits for
// segmentation). The trainer only sees this interface.
//
// Inputs come as ModelInputs (clinical features and/or an image per sample); a model declares
// which it uses with input_kind(). Single-input models implement forward(const Tensor&) and get
// forward(const ModelInputs&) for free; multi-input models (fusion) override the latter.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "models/model_shape.h"

namespace galien {

// One batch of inputs; a tensor the model does not use may be left undefined.
struct ModelInputs {
  torch::Tensor features;  // [N, num_features], float32
  torch::Tensor image;     // [N, C, H, W] or [N, C, D, H, W], float32
};

class Model : public torch::nn::Module {
 public:
  virtual InputKind input_kind() const { return InputKind::kFeatures; }

  // The single input the model declares (features or image). Kept so that code which has only a
  // feature matrix (today's trainer) calls models directly.
  virtual torch::Tensor forward(const torch::Tensor& inputs) = 0;

  // Default: passes the input named by input_kind() to forward(const Tensor&). Models of kind
  // kFeaturesAndImage must override it.
  virtual torch::Tensor forward(const ModelInputs& inputs);
};

}  // namespace galien
