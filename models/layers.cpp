#include "models/layers.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/functional/instancenorm.h>  // modules/instancenorm.h does not include it
#include <torch/nn/modules/instancenorm.h>
#include <torch/nn/modules/pooling.h>

#include "core/error.h"

namespace galien {
namespace {

// `sizes` as exactly `dims` entries: a single entry is repeated on every axis.
Sizes per_axis(int dims, const Sizes& sizes) {
  GALIEN_CHECK(sizes.size() == 1 || sizes.size() == static_cast<std::size_t>(dims),
               sizes.size() << " sizes for " << dims << " spatial axes");
  return sizes.size() == 1 ? Sizes(static_cast<std::size_t>(dims), sizes[0]) : sizes;
}

void check_dims(int dims) { GALIEN_CHECK(dims == 2 || dims == 3, "dims " << dims); }

}  // namespace

torch::nn::AnyModule make_activation(const std::string& name) {
  if (name == "relu") return torch::nn::AnyModule(torch::nn::ReLU());
  if (name == "gelu") return torch::nn::AnyModule(torch::nn::GELU());
  if (name == "selu") return torch::nn::AnyModule(torch::nn::SELU());
  if (name == "tanh") return torch::nn::AnyModule(torch::nn::Tanh());
  GALIEN_USER_ERROR("model.activation '" << name << "' is not one of relu, gelu, selu, tanh");
}

torch::nn::AnyModule make_conv(int dims, std::int64_t in, std::int64_t out, const Sizes& kernel,
                               const Sizes& stride, const Sizes& padding, bool bias) {
  check_dims(dims);
  const Sizes k = per_axis(dims, kernel), s = per_axis(dims, stride), p = per_axis(dims, padding);
  if (dims == 2)
    return torch::nn::AnyModule(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(s).padding(p).bias(bias)));
  return torch::nn::AnyModule(
      torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, k).stride(s).padding(p).bias(bias)));
}

torch::nn::AnyModule make_conv_transpose(int dims, std::int64_t in, std::int64_t out,
                                         std::int64_t scale) {
  check_dims(dims);
  if (dims == 2)
    return torch::nn::AnyModule(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(in, out, scale).stride(scale)));
  return torch::nn::AnyModule(torch::nn::ConvTranspose3d(
      torch::nn::ConvTranspose3dOptions(in, out, scale).stride(scale)));
}

torch::nn::AnyModule make_batch_norm(int dims, std::int64_t channels) {
  check_dims(dims);
  if (dims == 2) return torch::nn::AnyModule(torch::nn::BatchNorm2d(channels));
  return torch::nn::AnyModule(torch::nn::BatchNorm3d(channels));
}

torch::nn::AnyModule make_instance_norm(int dims, std::int64_t channels) {
  check_dims(dims);
  if (dims == 2)
    return torch::nn::AnyModule(
        torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(channels).affine(true)));
  return torch::nn::AnyModule(
      torch::nn::InstanceNorm3d(torch::nn::InstanceNorm3dOptions(channels).affine(true)));
}

torch::nn::AnyModule make_channel_dropout(int dims, double p) {
  check_dims(dims);
  if (dims == 2) return torch::nn::AnyModule(torch::nn::Dropout2d(p));
  return torch::nn::AnyModule(torch::nn::Dropout3d(p));
}

torch::nn::AnyModule make_max_pool(int dims, const Sizes& kernel, const Sizes& stride,
                                   const Sizes& padding) {
  check_dims(dims);
  const Sizes k = per_axis(dims, kernel), s = per_axis(dims, stride), p = per_axis(dims, padding);
  if (dims == 2)
    return torch::nn::AnyModule(
        torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(k).stride(s).padding(p)));
  return torch::nn::AnyModule(
      torch::nn::MaxPool3d(torch::nn::MaxPool3dOptions(k).stride(s).padding(p)));
}

void init_conv_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  // Convolution weights are the only parameters with 4 (2D) or 5 (3D) axes.
  for (auto& param : module.named_parameters()) {
    const auto& name = param.key();
    const bool is_weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    if (is_weight && param.value().dim() >= 4)
      torch::nn::init::kaiming_normal_(param.value(), 0.0, torch::kFanOut, torch::kReLU);
  }
}

}  // namespace galien
