// What a model is built for, without LibTorch: the sizes taken from the shard manifest and the
// inputs a model takes, for code that sizes or checks models without building one
// (models/model.h is the model itself).
#pragma once

#include <cstdint>
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

}  // namespace galien
