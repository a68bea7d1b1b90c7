// unet2d and unet3d (models/unet.h): output shapes for several level counts, gradients down to
// the first conv, the patch-size errors, and parameter counts against an independent count of
// the architecture from its widths (and against the PyTorch twin bench/unet_torch.py when
// Debian's python3-torch is installed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "core/error.h"
#include "models/losses.h"
#include "models/registry.h"
#include "models/unet.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

using test::user_error_of;

std::int64_t count_parameters(const torch::nn::Module& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

ModelConfig unet_config(const std::string& name, int levels, std::int64_t base) {
  ModelConfig config;
  config.name = name;
  config.levels = levels;
  config.base_channels = static_cast<int>(base);
  return config;
}

ModelShape patch(std::int64_t channels, std::vector<std::int64_t> spatial, std::int64_t classes) {
  ModelShape shape;
  shape.num_outputs = classes;
  if (spatial.size() == 3) shape.image = {channels, spatial[0], spatial[1], spatial[2]};
  else shape.image = {channels, 0, spatial[0], spatial[1]};
  return shape;
}

// The architecture counted from the widths alone (nnU-Net: base x 2^level, capped at 320 in 3D
// and 512 in 2D). A stage (in -> out) is two convs without bias, each followed by an affine
// instance norm (2 per channel): k*in*out + 2*out + k*out*out + 2*out with k = 3^dims; an
// up-sampling (below -> w) is a 2^dims transposed conv with bias; the decoder stage takes the
// concatenation (2w -> w); the head is a 1x1 conv with bias.
std::int64_t expected_parameters(int dims, std::int64_t channels, std::int64_t classes,
                                 int levels, std::int64_t base) {
  const std::int64_t cap = dims == 3 ? 320 : 512, k = dims == 3 ? 27 : 9, up = dims == 3 ? 8 : 4;
  std::vector<std::int64_t> w;
  for (int l = 0; l < levels; ++l) w.push_back(std::min(base << l, cap));
  auto stage = [&](std::int64_t in, std::int64_t out) {
    return k * in * out + 2 * out + k * out * out + 2 * out;
  };
  std::int64_t count = 0, in = channels;
  for (std::int64_t width : w) count += stage(in, width), in = width;
  for (int l = levels - 2; l >= 0; --l)
    count += up * w[l + 1] * w[l] + w[l] + stage(2 * w[l], w[l]);
  return count + w[0] * classes + classes;
}

std::vector<std::int64_t> sizes(std::initializer_list<std::int64_t> list) { return list; }

TEST(UNet, RegisteredForSegmentation) {
  EXPECT_EQ(models_for_task("segmentation"), (std::vector<std::string>{"unet2d", "unet3d"}));
  EXPECT_EQ(model_tasks("unet2d"), std::vector<std::string>{"segmentation"});
}

TEST(UNet, ThreeDShapesAndCount) {
  auto model = make_model(unet_config("unet3d", 0, 4), patch(1, {16, 16, 16}, 3));
  // Default 4 levels, widths 4, 8, 16, 32. By hand: encoder (1->4) 556 + (4->8) 2,624 +
  // (8->16) 10,432 + (16->32) 41,600; up + decoder (32->16) 4,112 + 20,800, (16->8) 1,032 +
  // 5,216, (8->4) 260 + 1,312; head 4*3 + 3 = 15. Total 87,959.
  EXPECT_EQ(count_parameters(*model), 87959);
  EXPECT_EQ(count_parameters(*model), expected_parameters(3, 1, 3, 4, 4));
  EXPECT_EQ(model->input_kind(), InputKind::kImage);
  EXPECT_EQ(model->forward(torch::randn({2, 1, 16, 16, 16})).sizes(), sizes({2, 3, 16, 16, 16}));
  // Anisotropic patch, odd level count: 3 levels halve twice, so sides divide by 4.
  auto three = make_model(unet_config("unet3d", 3, 4), patch(2, {8, 12, 20}, 2));
  EXPECT_EQ(count_parameters(*three), expected_parameters(3, 2, 2, 3, 4));
  EXPECT_EQ(three->forward(torch::randn({1, 2, 8, 12, 20})).sizes(), sizes({1, 2, 8, 12, 20}));
  // 5 levels: sides divide by 16; the bottleneck is 1x1x2.
  auto five = make_model(unet_config("unet3d", 5, 2), patch(1, {16, 16, 32}, 2));
  EXPECT_EQ(count_parameters(*five), expected_parameters(3, 1, 2, 5, 2));
  EXPECT_EQ(five->forward(torch::randn({1, 1, 16, 16, 32})).sizes(), sizes({1, 2, 16, 16, 32}));
}

TEST(UNet, TwoDShapesAndCount) {
  auto model = make_model(unet_config("unet2d", 3, 8), patch(2, {24, 32}, 4));
  EXPECT_EQ(count_parameters(*model), expected_parameters(2, 2, 4, 3, 8));
  EXPECT_EQ(model->forward(torch::randn({3, 2, 24, 32})).sizes(), sizes({3, 4, 24, 32}));
  auto two = make_model(unet_config("unet2d", 2, 4), patch(1, {6, 10}, 2));
  EXPECT_EQ(count_parameters(*two), expected_parameters(2, 1, 2, 2, 4));
  EXPECT_EQ(two->forward(torch::randn({1, 1, 6, 10})).sizes(), sizes({1, 2, 6, 10}));
}

TEST(UNet, WidthsCappedAsNnUNet) {
  // Built, not run: 6 levels of base 32 reach 32 << 5 = 1024, capped at 320 (3D) / 512 (2D).
  auto three = make_model(unet_config("unet3d", 6, 32), patch(1, {64, 64, 64}, 2));
  EXPECT_EQ(std::dynamic_pointer_cast<UNet>(three)->widths(),
            sizes({32, 64, 128, 256, 320, 320}));
  EXPECT_EQ(count_parameters(*three), expected_parameters(3, 1, 2, 6, 32));
  auto two = make_model(unet_config("unet2d", 7, 32), patch(1, {128, 128}, 2));
  EXPECT_EQ(std::dynamic_pointer_cast<UNet>(two)->widths(),
            sizes({32, 64, 128, 256, 512, 512, 512}));
  EXPECT_EQ(count_parameters(*two), expected_parameters(2, 1, 2, 7, 32));
  // The defaults: 4 levels, base 32 (the benchmark's network, 5,601,154 parameters).
  auto defaults = make_model(unet_config("unet3d", 0, 0), patch(1, {64, 64, 64}, 2));
  EXPECT_EQ(std::dynamic_pointer_cast<UNet>(defaults)->widths(), sizes({32, 64, 128, 256}));
  EXPECT_EQ(count_parameters(*defaults), 5601154);
}

TEST(UNet, GradientsReachTheFirstConv) {
  torch::manual_seed(3);
  auto model = make_model(unet_config("unet3d", 3, 4), patch(1, {8, 8, 8}, 2));
  model->train();
  const torch::Tensor images = torch::randn({2, 1, 8, 8, 8});
  const torch::Tensor labels = (images.squeeze(1) > 0).to(torch::kInt64);
  dice_ce_loss(model->forward(images), labels, torch::ones({2})).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
  // The first conv's weight (encoder0, module 0): the gradient passed every level.
  const torch::Tensor first = model->named_parameters()["encoder0.0.weight"];
  EXPECT_EQ(first.sizes(), sizes({4, 1, 3, 3, 3}));
  EXPECT_GT(first.grad().abs().sum().item<double>(), 0.0);
}

TEST(UNet, InitialisedAsNnUNet) {
  // InitWeights_He(1e-2): normal, std = gain / sqrt(fan_in), gain = sqrt(2 / (1 + 0.01^2)).
  torch::manual_seed(1);
  auto model = make_model(unet_config("unet3d", 3, 32), patch(1, {8, 8, 8}, 2));
  auto params = model->named_parameters();
  const torch::Tensor w = params["encoder1.0.weight"];  // [64, 32, 3, 3, 3]: fan-in 864
  EXPECT_EQ(w.sizes(), sizes({64, 32, 3, 3, 3}));
  const double expected = std::sqrt(2.0 / (1 + 0.01 * 0.01)) / std::sqrt(864.0);
  EXPECT_NEAR(w.std().item<double>(), expected, 0.03 * expected);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.03 * expected);
  for (const char* bias : {"up0.bias", "up1.bias", "head.bias", "encoder0.1.bias"})
    EXPECT_EQ(params[bias].abs().max().item<double>(), 0.0) << bias;
  EXPECT_EQ(params["encoder0.1.weight"].min().item<double>(), 1.0);  // instance norm scale
  EXPECT_EQ(params.find("encoder0.0.bias"), nullptr);  // no conv bias before a norm
}

TEST(UNet, WrongPatchSizeNamesTheKeyAndTheDivisor) {
  const std::string message = user_error_of(
      [] { make_model(unet_config("unet3d", 4, 4), patch(1, {12, 16, 16}, 2)); });
  EXPECT_CONTAINS(message, "trainer.patch_size");
  EXPECT_CONTAINS(message, "multiple of 8");
  EXPECT_CONTAINS(message, "the patch is 12x16x16: use e.g. 16x16x16");
  EXPECT_CONTAINS(message, "model.name unet3d has 4 levels (model.levels)");
  const std::string planar = user_error_of(
      [] { make_model(unet_config("unet2d", 3, 4), patch(1, {30, 32}, 2)); });
  EXPECT_CONTAINS(planar, "multiple of 4; the patch is 30x32");
  // A batch of another size than the patch the model was built for.
  auto model = make_model(unet_config("unet2d", 3, 4), patch(1, {32, 32}, 2));
  EXPECT_CONTAINS(user_error_of([&] { model->forward(torch::randn({1, 1, 32, 34})); }),
                  "multiple of 4; the patch is 32x34");
  // Divisible, but the deepest level would hold one voxel.
  EXPECT_CONTAINS(user_error_of([] {
                    make_model(unet_config("unet3d", 4, 4), patch(1, {8, 8, 8}, 2));
                  }),
                  "leaves 1 voxel at the deepest level");
}

TEST(UNet, RefusesTooFewLevelsAndTheOtherDimensionality) {
  EXPECT_CONTAINS(user_error_of([] {
                    make_model(unet_config("unet3d", 1, 4), patch(1, {8, 8, 8}, 2));
                  }),
                  "model.levels 1: a U-Net needs at least 2");
  EXPECT_CONTAINS(user_error_of([] {
                    make_model(unet_config("unet3d", 2, 4), patch(1, {8, 8}, 2));
                  }),
                  "choose unet2d");
  EXPECT_CONTAINS(user_error_of([] {
                    make_model(unet_config("unet2d", 2, 4), patch(1, {8, 8, 8}, 2));
                  }),
                  "trainer.patch_size: [H, W]");
  ModelShape table;
  table.num_features = 4;
  table.num_outputs = 2;
  EXPECT_CONTAINS(user_error_of([&] { make_model(unet_config("unet2d", 2, 4), table); }),
                  "data has no image");
}

TEST(UNet, DropoutAddsNoParametersAndIsOffInEvaluation) {
  ModelConfig config = unet_config("unet2d", 3, 4);
  config.dropout = 0.3;
  auto model = make_model(config, patch(1, {16, 16}, 2));
  EXPECT_EQ(count_parameters(*model), expected_parameters(2, 1, 2, 3, 4));
  model->eval();
  const torch::Tensor x = torch::randn({1, 1, 16, 16});
  EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));
}

// The benchmark's PyTorch twin has the same parameters: same architecture, layer for layer.
TEST(UNet, PyTorchTwinHasTheSameParameterCount) {
  if (std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-torch is not installed (scripts/install-deps.sh installs it)";
  struct Case {
    int dims, levels;
    std::int64_t channels, classes, base;
    std::vector<std::int64_t> spatial;
  };
  // One interpreter for every case (importing torch takes seconds).
  const std::vector<Case> cases = {Case{3, 4, 1, 2, 32, {64, 64, 64}},
                                   Case{3, 6, 2, 3, 32, {64, 64, 64}},
                                   Case{2, 7, 1, 2, 32, {128, 128}}, Case{2, 3, 4, 5, 8, {16, 16}}};
  std::string command = "/usr/bin/python3 bench/unet_torch.py count";
  for (const Case& c : cases)
    command += " " + std::to_string(c.dims) + "," + std::to_string(c.channels) + "," +
               std::to_string(c.classes) + "," + std::to_string(c.levels) + "," +
               std::to_string(c.base);
  const test::Output out = test::run_in(GALIEN_SOURCE_DIR, command);
  ASSERT_EQ(out.code, 0) << command << "\n" << out.text;
  std::istringstream lines(out.text);
  for (const Case& c : cases) {
    const std::string name = c.dims == 3 ? "unet3d" : "unet2d";
    auto model = make_model(unet_config(name, c.levels, c.base),
                            patch(c.channels, c.spatial, c.classes));
    std::int64_t twin = -1;
    lines >> twin;
    EXPECT_EQ(twin, count_parameters(*model)) << name << " levels " << c.levels << ": " << command;
  }
}

}  // namespace
}  // namespace galien
