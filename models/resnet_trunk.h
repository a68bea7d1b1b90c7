// The convolutional part of a ResNet-18/34/50/101 (He et al. 2016, torchvision's layout), for planar
// images (dims = 2) or volumes (dims = 3), up to global average pooling: it maps a batch of
// images to [N, 8 * base_channels] features. resnet2d and resnet3d add a Linear head; fusion
// uses it as its image encoder.
//
// Stems: dims 2 = 7x7 conv stride 2 + 3x3 max-pool stride 2 (ImageNet); dims 3 = 3x7x7 conv,
// stride 1x2x2, no max-pool (torchvision's r3d_18, Tran et al. 2018); small_input = 3x3(x3) conv
// stride 1, no max-pool (MedMNIST's 28x28 and 64x64 images would otherwise shrink to 1x1 early).
// Residual stages: BasicBlocks [2, 2, 2, 2] (depth 18) or [3, 4, 6, 3] (depth 34), widths
// base x {1, 2, 4, 8}; Bottleneck blocks (1x1, 3x3, 1x1 x4) [3, 4, 6, 3] (depth 50) or
// [3, 4, 23, 3] (depth 101), widths base x {1, 2, 4, 8} expanded 4x, stride on the 3x3 conv
// (torchvision's "v1.5"). Stride 2 (every axis) at the start of stages 2-4; a 1x1 conv + batch
// norm projection shortcut wherever the shape changes. Output: [N, 8 * base] (18/34) or
// [N, 32 * base] (50/101) features.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace galien {

struct ResNetSpec {
  int dims = 2;                     // 2: [N, C, H, W]; 3: [N, C, D, H, W]
  int depth = 18;                   // 18, 34, 50 or 101
  std::int64_t in_channels = 3;
  std::int64_t base_channels = 64;  // torchvision: 64
  bool small_input = false;
};

class ResNetTrunk : public torch::nn::Module {
 public:
  explicit ResNetTrunk(const ResNetSpec& spec);
  torch::Tensor forward(const torch::Tensor& images);
  std::int64_t out_features() const { return out_features_; }

 private:
  torch::nn::Sequential stem_;
  std::vector<torch::nn::Sequential> stages_;  // layer1..layer4, as torchvision names them
  int dims_ = 2;
  std::int64_t out_features_ = 0;
};

// UserError unless depth is 18, 34, 50 or 101 (model.depth).
void check_resnet_depth(int depth);

}  // namespace galien
