#include "models/fusion.h"

#include <torch/nn/modules/dropout.h>

#include "core/error.h"
#include "models/layers.h"

namespace galien {
namespace {

// model.image_encoder -> 2 or 3 spatial axes; "auto" follows the data.
int encoder_dims(const std::string& encoder, const ImageShape& image) {
  if (encoder == "auto") return image.is_volume() ? 3 : 2;
  if (encoder == "resnet2d" || encoder == "resnet3d") {
    const int dims = encoder == "resnet3d" ? 3 : 2;
    if ((dims == 3) != image.is_volume())
      GALIEN_USER_ERROR("model.image_encoder '" << encoder << "' needs "
                        << (dims == 3 ? "volumes" : "planar images") << ", but the data has "
                        << (image.is_volume() ? "volumes" : "planar images")
                        << "; set it to auto or to the other encoder");
    return dims;
  }
  GALIEN_USER_ERROR("model.image_encoder '" << encoder << "' is not one of auto, resnet2d, "
                    << "resnet3d");
}

}  // namespace

Fusion::Fusion(const ModelConfig& config, const ModelShape& shape) {
  require_features("fusion", shape);
  if (!shape.image.present())
    GALIEN_USER_ERROR("model.name 'fusion' needs an image per sample, but the data has none; use "
                      << "mlp for clinical tables alone");
  GALIEN_CHECK(shape.num_outputs > 0, "fusion with " << shape.num_outputs << " outputs");
  check_resnet_depth(config.depth);
  ResNetSpec spec;
  spec.dims = encoder_dims(config.image_encoder, shape.image);
  spec.depth = config.depth;
  spec.in_channels = shape.image.channels;
  spec.base_channels = config.base_channels > 0 ? config.base_channels : 64;
  spec.small_input = config.small_input;
  image_encoder_ = register_module("image_encoder", std::make_shared<ResNetTrunk>(spec));

  std::int64_t width = shape.num_features;
  for (std::int64_t hidden : config.hidden) {
    clinical_->push_back(torch::nn::Linear(width, hidden));
    clinical_->push_back(make_activation(config.activation));
    if (config.dropout > 0) clinical_->push_back(torch::nn::Dropout(config.dropout));
    width = hidden;
  }
  register_module("clinical", clinical_);
  const std::int64_t joined = image_encoder_->out_features() + width;
  head_ = register_module("head", torch::nn::Linear(joined, shape.num_outputs));
}

torch::Tensor Fusion::forward(const ModelInputs& inputs) {
  GALIEN_CHECK(inputs.image.defined() && inputs.features.defined(),
               "fusion needs both an image and clinical features per sample");
  torch::Tensor image = image_encoder_->forward(inputs.image);
  // An MLP with no hidden layer (model.hidden: []) passes the features through unchanged.
  torch::Tensor clinical =
      clinical_->is_empty() ? inputs.features : clinical_->forward(inputs.features);
  return head_->forward(torch::cat({image, clinical}, 1));
}

torch::Tensor Fusion::forward(const torch::Tensor& /*inputs*/) {
  GALIEN_CHECK(false, "fusion needs both an image and clinical features: call "
               << "forward(const ModelInputs&)");
  return {};
}

std::shared_ptr<Model> make_fusion(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<Fusion>(config, shape);
}

}  // namespace galien
