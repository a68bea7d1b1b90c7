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

namespace galien {

// Image part of a sample, channel-first as LibTorch expects.
struct ImageShape {
  std::int64_t channels = 0;  // 0 = the data has no image
  std::int64_t depth = 0;     // 0 = planar image [C, H, W]; > 0 = volume [C, D, H, W]
  std::int64_t height = 0;
  std::int64_t width = 0;

  bool present() const { return channels > 0; }
  bool is_volume() const { return depth > 0; }
};

// Sizes a model must match, taken from the shard manifest (not from the user).
struct ModelShape {
  std::int64_t num_features = 0;  // clinical inputs per sample (0 = none)
  std::int64_t num_outputs = 0;   // classes (logits); survival models ignore it (one log-risk)
  ImageShape image;               // the image per sample, if any
};

// One batch of inputs; a tensor the model does not use may be left undefined.
struct ModelInputs {
  torch::Tensor features;  // [N, num_features], float32
  torch::Tensor image;     // [N, C, H, W] or [N, C, D, H, W], float32
};

enum class InputKind {
  kFeatures,           // clinical table only
  kImage,              // image only
  kFeaturesAndImage,   // both (fusion)
};

const char* input_kind_name(InputKind kind);

// UserErrors for a model chosen for data it cannot take: `model` is its registry name.
void require_features(const std::string& model, const ModelShape& shape);
// volume: true = [C, D, H, W] needed, false = [C, H, W] needed.
void require_image(const std::string& model, const ModelShape& shape, bool volume);

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
