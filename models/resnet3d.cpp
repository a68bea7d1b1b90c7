#include "models/resnet3d.h"

#include "core/error.h"

namespace galien {

ResNet3d::ResNet3d(const ModelConfig& config, const ModelShape& shape) {
  require_image("resnet3d", shape, /*volume=*/true);
  GALIEN_CHECK(shape.num_outputs > 0, "ResNet with " << shape.num_outputs << " outputs");
  check_resnet_depth(config.depth);
  ResNetSpec spec;
  spec.dims = 3;
  spec.depth = config.depth;
  spec.in_channels = shape.image.channels;
  spec.base_channels = config.base_channels > 0 ? config.base_channels : 64;
  spec.small_input = config.small_input;
  trunk_ = register_module("trunk", std::make_shared<ResNetTrunk>(spec));
  head_ = register_module("fc", torch::nn::Linear(trunk_->out_features(), shape.num_outputs));
}

torch::Tensor ResNet3d::forward(const torch::Tensor& images) {
  return head_->forward(trunk_->forward(images));
}

std::shared_ptr<Model> make_resnet3d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<ResNet3d>(config, shape);
}

}  // namespace galien
