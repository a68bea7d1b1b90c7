// Layer factories shared by the models: activations by name, and convolution, batch and instance
// norm, channel dropout and pooling for planar images (dims = 2) or volumes (dims = 3) chosen at
// run time, so that one ResNet builder serves resnet2d, resnet3d and fusion, and one U-Net
// builder unet2d and unet3d.
#pragma once

#include <torch/nn/modules/container/any.h>

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

// One size per spatial axis, or a single size for every axis.
using Sizes = std::vector<std::int64_t>;

// relu | gelu | selu | tanh; anything else is a UserError naming model.activation.
torch::nn::AnyModule make_activation(const std::string& name);

torch::nn::AnyModule make_conv(int dims, std::int64_t in, std::int64_t out, const Sizes& kernel,
                               const Sizes& stride, const Sizes& padding, bool bias);
// Kernel == stride (the up-sampling of a U-Net decoder), with bias.
torch::nn::AnyModule make_conv_transpose(int dims, std::int64_t in, std::int64_t out,
                                         std::int64_t scale);
torch::nn::AnyModule make_batch_norm(int dims, std::int64_t channels);
// Instance norm with a learned scale and shift per channel (affine), eps 1e-5, no running
// statistics: each sample is normalised with its own statistics in training and evaluation.
torch::nn::AnyModule make_instance_norm(int dims, std::int64_t channels);
// Channel ("spatial") dropout: whole feature maps are zeroed with probability p.
torch::nn::AnyModule make_channel_dropout(int dims, double p);
torch::nn::AnyModule make_max_pool(int dims, const Sizes& kernel, const Sizes& stride,
                                   const Sizes& padding);

// He initialisation (normal, fan-out, ReLU gain) of every convolution weight under `module`, as
// torchvision's ResNet does; LibTorch's default (uniform, a = sqrt(5)) is tuned for linear layers.
void init_conv_weights(torch::nn::Module& module);

}  // namespace galien
