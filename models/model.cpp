#include "models/model.h"

#include "core/error.h"

namespace galien {

const char* input_kind_name(InputKind kind) {
  switch (kind) {
    case InputKind::kFeatures: return "clinical features";
    case InputKind::kImage: return "an image";
    case InputKind::kFeaturesAndImage: return "clinical features and an image";
  }
  return "?";
}

void require_features(const std::string& model, const ModelShape& shape) {
  if (shape.num_features <= 0)
    GALIEN_USER_ERROR("model.name '" << model << "' needs clinical features, but the data has "
                      << "none; shard a table with numeric or categorical columns, or choose an "
                      << "image model");
}

void require_image(const std::string& model, const ModelShape& shape, bool volume) {
  const char* wanted = volume ? "a volume [C, D, H, W]" : "a planar image [C, H, W]";
  if (!shape.image.present())
    GALIEN_USER_ERROR("model.name '" << model << "' needs " << wanted << " per sample, but the "
                      << "data has no image");
  if (shape.image.is_volume() != volume)
    GALIEN_USER_ERROR("model.name '" << model << "' needs " << wanted << " per sample, but the "
                      << "data has " << (volume ? "planar images" : "volumes") << "; choose "
                      << (volume ? "resnet2d" : "resnet3d or unet3d") << " instead");
}

torch::Tensor Model::forward(const ModelInputs& inputs) {
  const InputKind kind = input_kind();
  GALIEN_CHECK(kind != InputKind::kFeaturesAndImage,
               "a model that needs " << input_kind_name(kind) << " must override "
               << "forward(const ModelInputs&)");
  const torch::Tensor& input = kind == InputKind::kImage ? inputs.image : inputs.features;
  GALIEN_CHECK(input.defined(), "the model needs " << input_kind_name(kind)
               << " per sample, but the batch has none");
  return forward(input);
}

}  // namespace galien
