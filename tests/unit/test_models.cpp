// The model zoo: parameter counts (hand-computed or published) and output shapes, on small
// inputs so that each test runs in about a second on one core.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/error.h"
#include "models/model.h"
#include "models/registry.h"

namespace galien {
namespace {

std::int64_t count_parameters(const torch::nn::Module& model) {
  std::int64_t count = 0;
  for (const auto& p : model.parameters()) count += p.numel();
  return count;
}

ModelConfig config_for(const std::string& name) {
  ModelConfig config;
  config.name = name;
  return config;
}

ModelShape image_shape(std::int64_t channels, std::int64_t depth, std::int64_t height,
                       std::int64_t width, std::int64_t outputs) {
  ModelShape shape;
  shape.num_outputs = outputs;
  shape.image = {channels, depth, height, width};
  return shape;
}

// Parameters of a ResNet with BasicBlocks, by hand: convs have no bias, each batch norm has 2
// per channel, the head is Linear(8 * base, classes). `stem_kernel` = the stem conv's kernel
// volume (7x7 = 49, 3x7x7 = 147, 3x3 = 9, 3x3x3 = 27); `kernel` = a block conv's (9 or 27).
std::int64_t resnet_parameters(int depth, std::int64_t kernel, std::int64_t stem_kernel,
                               std::int64_t channels, std::int64_t base, std::int64_t classes) {
  const std::vector<int> blocks =
      depth == 18 ? std::vector<int>{2, 2, 2, 2} : std::vector<int>{3, 4, 6, 3};
  std::int64_t count = channels * base * stem_kernel + 2 * base;
  std::int64_t in = base;
  for (std::size_t stage = 0; stage < 4; ++stage) {
    const std::int64_t out = base << stage;
    for (int b = 0; b < blocks[stage]; ++b) {
      count += in * out * kernel + 2 * out + out * out * kernel + 2 * out;
      if (in != out || (stage > 0 && b == 0)) count += in * out + 2 * out;  // 1x1 projection
      in = out;
    }
  }
  return count + in * classes + classes;
}

TEST(Models, HandFormulaMatchesPublishedResNetCounts) {
  // torchvision: resnet18 11,689,512, resnet34 21,797,672 (3 channels, 1000 classes);
  // r3d_18 33,371,472 (3 channels, 400 classes).
  EXPECT_EQ(resnet_parameters(18, 9, 49, 3, 64, 1000), 11689512);
  EXPECT_EQ(resnet_parameters(34, 9, 49, 3, 64, 1000), 21797672);
  EXPECT_EQ(resnet_parameters(18, 27, 147, 3, 64, 400), 33371472);
}

TEST(Models, RegistryListsTheZooAndRefusesUnknownNames) {
  auto names = model_names();
  for (const char* name :
       {"mlp", "deepsurv", "cox_linear", "resnet2d", "resnet3d", "unet2d", "unet3d", "fusion",
        "tf_cnn"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  try {
    make_model(config_for("resnet-18"), {4, 2});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("known models:"), std::string::npos) << e.what();
  }
}

TEST(Models, MlpCountAndShapes) {
  ModelConfig config = config_for("mlp");  // hidden [64, 32]
  auto model = make_model(config, {30, 2});
  // (30*64 + 64) + (64*32 + 32) + (32*2 + 2) = 1984 + 2080 + 66
  EXPECT_EQ(count_parameters(*model), 4130);
  EXPECT_EQ(model->input_kind(), InputKind::kFeatures);
  EXPECT_EQ(model->forward(torch::randn({5, 30})).sizes(), (std::vector<std::int64_t>{5, 2}));
  ModelInputs inputs;
  inputs.features = torch::randn({3, 30});
  EXPECT_EQ(model->forward(inputs).sizes(), (std::vector<std::int64_t>{3, 2}));
}

TEST(Models, DeepSurvCountAndShapes) {
  ModelConfig config = config_for("deepsurv");
  config.hidden = {20, 20, 20};  // DeepSurv's GBSG hyperparameters (revision file)
  config.activation = "selu";
  config.dropout = 0.078;
  auto model = make_model(config, {7, 2});  // num_outputs ignored: one log-risk
  // (7*20 + 20) + 2 * (20*20 + 20) + 20*1 (no output bias) = 160 + 840 + 20
  EXPECT_EQ(count_parameters(*model), 1020);
  model->eval();
  auto risk = model->forward(torch::randn({6, 7}));
  EXPECT_EQ(risk.sizes(), (std::vector<std::int64_t>{6, 1}));
  EXPECT_TRUE(torch::isfinite(risk).all().item<bool>());
}

TEST(Models, CoxLinearIsOneBiasFreeLinearLayerStartingAtZero) {
  auto model = make_model(config_for("cox_linear"), {7, 1});
  EXPECT_EQ(count_parameters(*model), 7);
  ModelInputs inputs;
  inputs.features = torch::randn({4, 7});
  auto risk = model->forward(inputs);
  EXPECT_EQ(risk.sizes(), (std::vector<std::int64_t>{4, 1}));
  EXPECT_EQ(risk.abs().max().item<float>(), 0.0f);  // beta = 0 at start, as coxph
}

TEST(Models, ClinicalModelsNeedFeatures) {
  EXPECT_THROW(make_model(config_for("deepsurv"), image_shape(1, 0, 28, 28, 2)), UserError);
  EXPECT_THROW(make_model(config_for("mlp"), image_shape(1, 0, 28, 28, 2)), UserError);
}

TEST(Models, ResNet2dMatchesTorchvisionCounts) {
  ModelConfig config = config_for("resnet2d");
  auto r18 = make_model(config, image_shape(3, 0, 224, 224, 1000));
  EXPECT_EQ(count_parameters(*r18), 11689512);  // torchvision resnet18
  EXPECT_EQ(r18->input_kind(), InputKind::kImage);
  r18->eval();
  EXPECT_EQ(r18->forward(torch::randn({1, 3, 64, 64})).sizes(),
            (std::vector<std::int64_t>{1, 1000}));
  config.depth = 34;
  EXPECT_EQ(count_parameters(*make_model(config, image_shape(3, 0, 224, 224, 1000))), 21797672);
}

// torchvision resnet50 / resnet101 (v1.5 bottlenecks), 3 channels, 1000 classes. Built once:
// each costs ~0.5 s of He initialisation on one core; no forward pass at 224x224.
TEST(Models, ResNet2dBottleneckDepthsMatchTorchvisionCounts) {
  ModelConfig config = config_for("resnet2d");
  config.depth = 50;
  EXPECT_EQ(count_parameters(*make_model(config, image_shape(3, 0, 224, 224, 1000))), 25557032);
  config.depth = 101;
  EXPECT_EQ(count_parameters(*make_model(config, image_shape(3, 0, 224, 224, 1000))), 44549160);
}

// The bottleneck path end to end on a small input: stride lands on the 3x3 conv (a 32x32 image
// reaches stage 4 at 1x1 and the head sees 32 * base features), and a backward pass reaches
// every parameter.
TEST(Models, ResNet50SmallForwardBackward) {
  ModelConfig config = config_for("resnet2d");
  config.depth = 50;
  config.base_channels = 4;
  auto model = make_model(config, image_shape(2, 0, 32, 32, 3));
  ModelInputs inputs;
  inputs.image = torch::randn({2, 2, 32, 32});
  auto out = model->forward(inputs);
  EXPECT_EQ(out.sizes(), (std::vector<std::int64_t>{2, 3}));
  out.square().mean().backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
  }
  // Head: Linear(32 * base = 128, 3).
  // The dict outlives the pointer find() returns (ASan, 2026-12-07: a temporary dict freed its
  // items before fc was read).
  const auto parameters = model->named_parameters();
  const auto* fc = parameters.find("fc.weight");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->sizes(), (std::vector<std::int64_t>{3, 128}));
}

TEST(Models, ResNet2dSmallInputStemForMedMnist) {
  ModelConfig config = config_for("resnet2d");
  config.small_input = true;
  // PathMNIST: 3 channels, 9 classes.
  auto model = make_model(config, image_shape(3, 0, 28, 28, 9));
  // torchvision's 11,689,512 - 7x7 stem (3*64*49 = 9,408) + 3x3 stem (3*64*9 = 1,728)
  // - 1000-class head (513,000) + 9-class head (512*9 + 9 = 4,617) = 11,173,449.
  EXPECT_EQ(count_parameters(*model), 11173449);
  EXPECT_EQ(count_parameters(*model), resnet_parameters(18, 9, 9, 3, 64, 9));
  model->eval();
  ModelInputs inputs;
  inputs.image = torch::randn({2, 3, 28, 28});
  EXPECT_EQ(model->forward(inputs).sizes(), (std::vector<std::int64_t>{2, 9}));
}

TEST(Models, ResNet2dRefusesBadDepthAndVolumes) {
  ModelConfig config = config_for("resnet2d");
  for (int depth : {20, 35, 49, 52, 100}) {
    config.depth = depth;  // inside the schema's 18..101 range, not a ResNet depth
    try {
      make_model(config, image_shape(1, 0, 28, 28, 2));
      FAIL() << depth << ": no error";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("model.depth " + std::to_string(depth)),
                std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("50 or 101"), std::string::npos) << e.what();
    }
  }
  config.depth = 18;
  EXPECT_THROW(make_model(config, image_shape(1, 16, 32, 32, 2)), UserError);
  EXPECT_THROW(make_model(config, {10, 2}), UserError);  // no image at all
}

TEST(Models, ResNet3dMatchesTorchvisionR3d18) {
  ModelConfig config = config_for("resnet3d");
  EXPECT_EQ(count_parameters(*make_model(config, image_shape(3, 16, 112, 112, 400))), 33371472);
  // A small one for the forward pass: 1 channel, base 8, 3 classes.
  config.base_channels = 8;
  auto model = make_model(config, image_shape(1, 8, 32, 32, 3));
  EXPECT_EQ(count_parameters(*model), resnet_parameters(18, 27, 147, 1, 8, 3));
  model->eval();
  EXPECT_EQ(model->forward(torch::randn({2, 1, 8, 32, 32})).sizes(),
            (std::vector<std::int64_t>{2, 3}));
  EXPECT_THROW(make_model(config, image_shape(1, 0, 32, 32, 3)), UserError);  // planar
}

// unet2d and unet3d: tests/unit/test_unet.cpp.

TEST(Models, FusionCombinesImageAndClinicalBranches) {
  ModelConfig config = config_for("fusion");
  config.base_channels = 8;
  config.small_input = true;
  config.hidden = {16};
  ModelShape shape = image_shape(3, 0, 28, 28, 2);
  shape.num_features = 5;
  auto model = make_model(config, shape);
  // Image trunk (ResNet-18, base 8, no head) + clinical 5*16 + 16 + head (64 + 16)*2 + 2.
  const std::int64_t trunk = resnet_parameters(18, 9, 9, 3, 8, 0);
  EXPECT_EQ(count_parameters(*model), trunk + 96 + 162);
  EXPECT_EQ(model->input_kind(), InputKind::kFeaturesAndImage);
  model->eval();
  ModelInputs inputs;
  inputs.image = torch::randn({2, 3, 28, 28});
  inputs.features = torch::randn({2, 5});
  EXPECT_EQ(model->forward(inputs).sizes(), (std::vector<std::int64_t>{2, 2}));
  EXPECT_THROW(model->forward(inputs.features), InternalError);  // needs both inputs

  config.image_encoder = "resnet3d";  // but the data is planar
  EXPECT_THROW(make_model(config, shape), UserError);
  config.image_encoder = "auto";
  shape.num_features = 0;
  EXPECT_THROW(make_model(config, shape), UserError);
}

TEST(Models, FusionPicks3dEncoderForVolumes) {
  ModelConfig config = config_for("fusion");
  config.base_channels = 4;
  config.hidden = {};
  ModelShape shape = image_shape(1, 8, 16, 16, 3);
  shape.num_features = 2;
  auto model = make_model(config, shape);
  // 3D trunk (r3d stem) + head (32 + 2)*3 + 3; no clinical layers.
  EXPECT_EQ(count_parameters(*model), resnet_parameters(18, 27, 147, 1, 4, 0) + 105);
  model->eval();
  ModelInputs inputs;
  inputs.image = torch::randn({2, 1, 8, 16, 16});
  inputs.features = torch::randn({2, 2});
  EXPECT_EQ(model->forward(inputs).sizes(), (std::vector<std::int64_t>{2, 3}));
}

TEST(Models, TfCnnIsTheTensorFlowTutorialNetwork) {
  auto model = make_model(config_for("tf_cnn"), image_shape(1, 0, 28, 28, 10));
  // conv 5*5*1*32 + 32 = 832; conv 5*5*32*64 + 64 = 51,264; dense 7*7*64*1024 + 1024 =
  // 3,212,288; logits 1024*10 + 10 = 10,250. Total 3,274,634.
  EXPECT_EQ(count_parameters(*model), 3274634);
  model->eval();
  EXPECT_EQ(model->forward(torch::randn({2, 1, 28, 28})).sizes(),
            (std::vector<std::int64_t>{2, 10}));
  EXPECT_THROW(make_model(config_for("tf_cnn"), image_shape(1, 0, 2, 2, 10)), UserError);
}

TEST(Models, ImageModelsNeedAnImageInTheBatch) {
  auto model = make_model(config_for("tf_cnn"), image_shape(1, 0, 28, 28, 10));
  ModelInputs features_only;
  features_only.features = torch::randn({2, 4});
  EXPECT_THROW(model->forward(features_only), InternalError);
}

}  // namespace
// The model catalog (tasks per model, no LibTorch: launch checks) and the registry (how to
// build each) must name the same models.
TEST(ModelCatalog, NamesTheSameModelsAsTheRegistry) {
  EXPECT_EQ(catalog_model_names(), model_names());
  for (const std::string& name : model_names()) EXPECT_FALSE(model_tasks(name).empty()) << name;
}

}  // namespace galien
