#include "models/resnet.h"

#include "core/error.h"

namespace galien {

ResNetClassifier::ResNetClassifier(const ModelConfig& config, const ModelShape& shape, int dims) {
  require_image(dims == 2 ? "resnet2d" : "resnet3d", shape, /*volume=*/dims == 3);
  GALIEN_CHECK(shape.num_outputs > 0, "ResNet with " << shape.num_outputs << " outputs");
  check_resnet_depth(config.depth);
  ResNetSpec spec;
  spec.dims = dims;
  spec.depth = config.depth;
  spec.in_channels = shape.image.channels;
  spec.base_channels = config.base_channels > 0 ? config.base_channels : 64;
  spec.small_input = config.small_input;
  trunk_ = register_module("trunk", std::make_shared<ResNetTrunk>(spec));
  head_ = register_module("fc", torch::nn::Linear(trunk_->out_features(), shape.num_outputs));
}

torch::Tensor ResNetClassifier::forward(const torch::Tensor& images) {
  return head_->forward(trunk_->forward(images));
}

std::shared_ptr<Model> make_resnet2d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<ResNetClassifier>(config, shape, 2);
}

std::shared_ptr<Model> make_resnet3d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<ResNetClassifier>(config, shape, 3);
}

}  // namespace galien
