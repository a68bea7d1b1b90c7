#include "models/resnet_trunk.h"

#include <torch/nn/modules/activation.h>

#include <string>

#include "core/error.h"
#include "models/layers.h"

namespace galien {
namespace {

// Two 3x3(x3) convolutions with a residual connection (He et al. 2016, "basic block").
class BasicBlock : public torch::nn::Module {
 public:
  BasicBlock(int dims, std::int64_t in, std::int64_t out, std::int64_t stride) {
    conv1_ = register_any("conv1", make_conv(dims, in, out, {3}, {stride}, {1}, false));
    bn1_ = register_any("bn1", make_batch_norm(dims, out));
    conv2_ = register_any("conv2", make_conv(dims, out, out, {3}, {1}, {1}, false));
    bn2_ = register_any("bn2", make_batch_norm(dims, out));
    if (stride != 1 || in != out) {
      // Projection shortcut ("option B") where the shape changes, identity elsewhere.
      shortcut_->push_back(make_conv(dims, in, out, {1}, {stride}, {0}, false));
      shortcut_->push_back(make_batch_norm(dims, out));
      register_module("downsample", shortcut_);
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1_.forward(conv1_.forward(x)));
    y = bn2_.forward(conv2_.forward(y));
    return torch::relu(y + (shortcut_->is_empty() ? x : shortcut_->forward(x)));
  }

 private:
  torch::nn::AnyModule register_any(const std::string& name, torch::nn::AnyModule module) {
    register_module(name, module.ptr());
    return module;
  }

  torch::nn::AnyModule conv1_, bn1_, conv2_, bn2_;
  torch::nn::Sequential shortcut_;
};

// 1x1 reduce, 3x3 (stride here: torchvision's "v1.5", which is what its resnet50 weights and
// every published throughput figure use), 1x1 expand to 4x the width, residual connection.
class Bottleneck : public torch::nn::Module {
 public:
  static constexpr std::int64_t kExpansion = 4;

  Bottleneck(int dims, std::int64_t in, std::int64_t width, std::int64_t stride) {
    const std::int64_t out = width * kExpansion;
    conv1_ = register_any("conv1", make_conv(dims, in, width, {1}, {1}, {0}, false));
    bn1_ = register_any("bn1", make_batch_norm(dims, width));
    conv2_ = register_any("conv2", make_conv(dims, width, width, {3}, {stride}, {1}, false));
    bn2_ = register_any("bn2", make_batch_norm(dims, width));
    conv3_ = register_any("conv3", make_conv(dims, width, out, {1}, {1}, {0}, false));
    bn3_ = register_any("bn3", make_batch_norm(dims, out));
    if (stride != 1 || in != out) {
      shortcut_->push_back(make_conv(dims, in, out, {1}, {stride}, {0}, false));
      shortcut_->push_back(make_batch_norm(dims, out));
      register_module("downsample", shortcut_);
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1_.forward(conv1_.forward(x)));
    y = torch::relu(bn2_.forward(conv2_.forward(y)));
    y = bn3_.forward(conv3_.forward(y));
    return torch::relu(y + (shortcut_->is_empty() ? x : shortcut_->forward(x)));
  }

 private:
  torch::nn::AnyModule register_any(const std::string& name, torch::nn::AnyModule module) {
    register_module(name, module.ptr());
    return module;
  }

  torch::nn::AnyModule conv1_, bn1_, conv2_, bn2_, conv3_, bn3_;
  torch::nn::Sequential shortcut_;
};

// Blocks per stage (He et al. 2016, table 1); 50 and 101 use bottleneck blocks.
std::vector<int> blocks_per_stage(int depth) {
  check_resnet_depth(depth);
  switch (depth) {
    case 18: return {2, 2, 2, 2};
    case 34: return {3, 4, 6, 3};
    case 50: return {3, 4, 6, 3};
    default: return {3, 4, 23, 3};  // 101
  }
}

}  // namespace

void check_resnet_depth(int depth) {
  if (depth != 18 && depth != 34 && depth != 50 && depth != 101)
    GALIEN_USER_ERROR("model.depth " << depth << " is not a ResNet depth galien builds; use 18, "
                      << "34 (basic blocks), 50 or 101 (bottleneck blocks)");
}

ResNetTrunk::ResNetTrunk(const ResNetSpec& spec) {
  GALIEN_CHECK(spec.in_channels > 0 && spec.base_channels > 0,
               spec.in_channels << " input channels, " << spec.base_channels << " base");
  dims_ = spec.dims;
  const int d = dims_;
  const std::int64_t base = spec.base_channels;
  if (spec.small_input) {
    stem_->push_back(make_conv(d, spec.in_channels, base, {3}, {1}, {1}, false));
  } else if (d == 2) {
    stem_->push_back(make_conv(d, spec.in_channels, base, {7}, {2}, {3}, false));
  } else {
    stem_->push_back(make_conv(d, spec.in_channels, base, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, false));
  }
  stem_->push_back(make_batch_norm(d, base));
  stem_->push_back(torch::nn::ReLU());
  if (!spec.small_input && d == 2) stem_->push_back(make_max_pool(d, {3}, {2}, {1}));
  register_module("stem", stem_);

  const std::vector<int> blocks = blocks_per_stage(spec.depth);
  const bool bottleneck = spec.depth >= 50;
  std::int64_t in = base;
  for (std::size_t stage = 0; stage < blocks.size(); ++stage) {
    const std::int64_t width = base << stage;
    torch::nn::Sequential layer;
    for (int b = 0; b < blocks[stage]; ++b) {
      const std::int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      if (bottleneck) {
        layer->push_back(std::make_shared<Bottleneck>(d, in, width, stride));
        in = width * Bottleneck::kExpansion;
      } else {
        layer->push_back(std::make_shared<BasicBlock>(d, in, width, stride));
        in = width;
      }
    }
    // A Sequential cannot hold another Sequential, so the stages are registered one by one.
    stages_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
  }
  out_features_ = in;
  init_conv_weights(*this);
}

torch::Tensor ResNetTrunk::forward(const torch::Tensor& images) {
  GALIEN_CHECK(images.dim() == dims_ + 2, "a " << dims_ << "D ResNet got a batch of "
               << images.dim() << " axes " << images.sizes());
  torch::Tensor x = stem_->forward(images);
  for (auto& stage : stages_) x = stage->forward(x);
  // Global average pooling over every spatial axis: [N, C, ...] -> [N, C].
  return x.flatten(2).mean(2);
}

}  // namespace galien
