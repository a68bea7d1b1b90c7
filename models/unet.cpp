#include "models/unet.h"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "models/layers.h"

namespace galien {
namespace {

// One stage: two (conv 3x3(x3) -> [channel dropout] -> instance norm -> LeakyReLU(0.01)); the
// first conv has `stride` (2 = this stage halves its input).
torch::nn::Sequential conv_stage(int dims, std::int64_t in, std::int64_t out, std::int64_t stride,
                                 double dropout) {
  torch::nn::Sequential stage;
  for (int k = 0; k < 2; ++k) {
    stage->push_back(make_conv(dims, k == 0 ? in : out, out, {3}, {k == 0 ? stride : 1}, {1},
                               /*bias=*/false));  // instance norm's shift is the bias
    if (dropout > 0) stage->push_back(make_channel_dropout(dims, dropout));
    stage->push_back(make_instance_norm(dims, out));
    stage->push_back(torch::nn::LeakyReLU(
        torch::nn::LeakyReLUOptions().negative_slope(0.01).inplace(true)));
  }
  return stage;
}

// nnU-Net's InitWeights_He(1e-2): kaiming_normal_(weight, a = 0.01) (fan-in, leaky ReLU gain)
// on every conv and transposed conv, biases 0. Instance norms keep scale 1, shift 0.
void init_he_leaky(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (const auto& module : root.modules(/*include_self=*/false)) {
    torch::Tensor weight, bias;
    if (auto* c = module->as<torch::nn::Conv2d>()) weight = c->weight, bias = c->bias;
    else if (auto* c3 = module->as<torch::nn::Conv3d>()) weight = c3->weight, bias = c3->bias;
    else if (auto* t = module->as<torch::nn::ConvTranspose2d>()) weight = t->weight, bias = t->bias;
    else if (auto* t3 = module->as<torch::nn::ConvTranspose3d>()) weight = t3->weight, bias = t3->bias;
    else continue;
    torch::nn::init::kaiming_normal_(weight, 0.01, torch::kFanIn, torch::kLeakyReLU);
    if (bias.defined()) bias.zero_();
  }
}

std::string joined_sizes(const std::vector<std::int64_t>& sizes) {
  std::ostringstream out;
  for (std::size_t i = 0; i < sizes.size(); ++i) out << (i ? "x" : "") << sizes[i];
  return out.str();
}

}  // namespace

UNet::UNet(int dims, const std::string& name, const ModelConfig& config, const ModelShape& shape)
    : dims_(dims), name_(name) {
  GALIEN_CHECK(dims == 2 || dims == 3, "U-Net with " << dims << " spatial dims");
  const bool volume = dims == 3;
  if (shape.image.present() && shape.image.is_volume() != volume)
    GALIEN_USER_ERROR("model.name '" << name << "' takes "
                      << (volume ? "volume patches [C, D, H, W]" : "planar patches [C, H, W]")
                      << ", but it was given " << (volume ? "planar" : "volume") << " patches; "
                      << (volume ? "choose unet2d for planar images"
                                 : "choose unet3d, or trainer.patch_size: [H, W] so that the "
                                   "trainer cuts single slices of the volumes for unet2d"));
  require_image(name, shape, volume);
  GALIEN_CHECK(shape.num_outputs > 0, "U-Net with " << shape.num_outputs << " classes");
  const int levels = config.levels > 0 ? config.levels : kDefaultLevels;
  if (levels < 2)
    GALIEN_USER_ERROR("model.levels " << levels << ": a U-Net needs at least 2 resolution "
                      << "levels (0 = the default " << kDefaultLevels << ")");
  const std::int64_t base = config.base_channels > 0 ? config.base_channels : kDefaultBase;
  const std::int64_t cap = volume ? kMaxWidth3d : kMaxWidth2d;
  for (int level = 0; level < levels; ++level)
    widths_.push_back(std::min(base << level, cap));

  std::vector<std::int64_t> spatial;
  if (volume) spatial.push_back(shape.image.depth);
  spatial.push_back(shape.image.height);
  spatial.push_back(shape.image.width);
  check_spatial_sizes(spatial);

  std::int64_t in = shape.image.channels;
  for (int level = 0; level < levels; ++level) {
    const std::int64_t width = widths_[static_cast<std::size_t>(level)];
    encoder_.push_back(register_module("encoder" + std::to_string(level),
                                       conv_stage(dims, in, width, level == 0 ? 1 : 2,
                                                  config.dropout)));
    in = width;
  }
  for (int level = levels - 2; level >= 0; --level) {
    const std::int64_t below = widths_[static_cast<std::size_t>(level + 1)];
    const std::int64_t width = widths_[static_cast<std::size_t>(level)];
    up_.push_back(make_conv_transpose(dims, below, width, 2));
    register_module("up" + std::to_string(level), up_.back().ptr());
    decoder_.push_back(register_module("decoder" + std::to_string(level),
                                       conv_stage(dims, 2 * width, width, 1, config.dropout)));
  }
  head_ = make_conv(dims, widths_[0], shape.num_outputs, {1}, {1}, {0}, /*bias=*/true);
  register_module("head", head_.ptr());
  init_he_leaky(*this);
}

void UNet::check_spatial_sizes(const std::vector<std::int64_t>& sizes) const {
  const std::int64_t divisor = size_divisor();
  bool divides = true;
  std::int64_t bottleneck = 1;
  std::vector<std::int64_t> suggestion;
  for (std::int64_t size : sizes) {
    divides = divides && size % divisor == 0;
    bottleneck *= size / divisor;
    suggestion.push_back(std::max<std::int64_t>(divisor, (size + divisor - 1) / divisor * divisor));
  }
  const std::string levels_text = "model.name " + name_ + " has " + std::to_string(levels()) +
                                  " levels (model.levels) and halves its input " +
                                  std::to_string(levels() - 1) + " times";
  if (!divides)
    GALIEN_USER_ERROR(levels_text << ", so every side of trainer.patch_size must be a multiple of "
                      << divisor << "; the patch is " << joined_sizes(sizes) << ": use e.g. "
                      << joined_sizes(suggestion) << ", or fewer levels");
  // Instance norm over a single value gives 0 whatever the input: the deepest level needs 2+.
  if (bottleneck == 1)
    GALIEN_USER_ERROR(levels_text << ", so a " << joined_sizes(sizes) << " patch (trainer."
                      << "patch_size) leaves 1 " << (dims_ == 3 ? "voxel" : "pixel")
                      << " at the deepest level, where instance norm needs at least 2: use a "
                      << "patch with a side of at least " << 2 * divisor << ", or fewer levels");
}

torch::Tensor UNet::forward(const torch::Tensor& images) {
  GALIEN_CHECK(images.dim() == dims_ + 2, name_ << " needs "
               << (dims_ == 3 ? "[N, C, D, H, W]" : "[N, C, H, W]") << ", got " << images.sizes());
  check_spatial_sizes(images.sizes().slice(2).vec());
  std::vector<torch::Tensor> skips;
  torch::Tensor x = images;
  for (std::size_t level = 0; level < encoder_.size(); ++level) {
    x = encoder_[level]->forward(x);
    if (level + 1 < encoder_.size()) skips.push_back(x);
  }
  for (std::size_t i = 0; i < up_.size(); ++i) {
    const torch::Tensor& skip = skips[skips.size() - 1 - i];
    x = decoder_[i]->forward(torch::cat({up_[i].forward(x), skip}, 1));
  }
  return head_.forward(x);
}

std::shared_ptr<Model> make_unet2d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<UNet>(2, "unet2d", config, shape);
}

std::shared_ptr<Model> make_unet3d(const ModelConfig& config, const ModelShape& shape) {
  return std::make_shared<UNet>(3, "unet3d", config, shape);
}

}  // namespace galien
