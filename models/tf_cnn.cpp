#include "models/tf_cnn.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>

#include "core/error.h"

namespace galien {
namespace {

namespace nn = torch::nn;

// The tutorial's sizes.
constexpr std::int64_t kConv1 = 32, kConv2 = 64, kKernel = 5, kDense = 1024;

// TensorFlow's tf.layers defaults: Glorot-uniform kernels, zero biases.
void init_like_tensorflow(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& param : module.named_parameters()) {
    if (param.value().dim() >= 2) nn::init::xavier_uniform_(param.value());
    else nn::init::zeros_(param.value());
  }
}

}  // namespace

TfCnn::TfCnn(const ModelShape& shape, double dropout) {
  require_image("tf_cnn", shape, /*volume=*/false);
  GALIEN_CHECK(shape.num_outputs > 0, "tf_cnn with " << shape.num_outputs << " classes");
  // "same" padding keeps H x W through each conv; each pool halves it (rounding down).
  const std::int64_t height = shape.image.height / 4, width = shape.image.width / 4;
  if (height < 1 || width < 1)
    GALIEN_USER_ERROR("model.name 'tf_cnn' pools twice by 2, so images need at least 4x4 pixels; "
                      << "the data has " << shape.image.height << "x" << shape.image.width);
  const std::int64_t pad = kKernel / 2;
  const std::int64_t channels = shape.image.channels;
  layers_->push_back(nn::Conv2d(nn::Conv2dOptions(channels, kConv1, kKernel).padding(pad)));
  layers_->push_back(nn::ReLU());
  layers_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
  layers_->push_back(nn::Conv2d(nn::Conv2dOptions(kConv1, kConv2, kKernel).padding(pad)));
  layers_->push_back(nn::ReLU());
  layers_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
  layers_->push_back(nn::Flatten());
  layers_->push_back(nn::Linear(kConv2 * height * width, kDense));
  layers_->push_back(nn::ReLU());
  // The tutorial's 0.4 is set in its config (model.dropout), like every model's dropout.
  if (dropout > 0) layers_->push_back(nn::Dropout(dropout));
  layers_->push_back(nn::Linear(kDense, shape.num_outputs));
  register_module("layers", layers_);
  init_like_tensorflow(*this);
}

torch::Tensor TfCnn::forward(const torch::Tensor& images) { return layers_->forward(images); }

std::shared_ptr<Model> make_tf_cnn(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<TfCnn>(shape, config.dropout);
}

}  // namespace galien
