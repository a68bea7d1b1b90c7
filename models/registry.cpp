#include "models/registry.h"

#include <functional>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "models/cox_linear.h"
#include "models/deepsurv.h"
#include "models/fusion.h"
#include "models/mlp.h"
#include "models/resnet.h"
#include "models/tf_cnn.h"
#include "models/unet.h"

namespace galien {
namespace {

using Factory = std::function<std::shared_ptr<Model>(const ModelConfig&, const ModelShape&)>;

// How each model is built. The tasks each serves are in the model catalog
// (core/config/models.cpp, no LibTorch); the two tables name the same models (a test checks).
// An explicit list (not static self-registration, which the linker drops from static
// libraries).
const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"mlp", make_mlp},           {"deepsurv", make_deepsurv}, {"cox_linear", make_cox_linear},
      {"resnet2d", make_resnet2d}, {"resnet3d", make_resnet3d}, {"unet2d", make_unet2d},
      {"unet3d", make_unet3d},     {"fusion", make_fusion},     {"tf_cnn", make_tf_cnn},
  };
  return table;
}

}  // namespace

std::shared_ptr<Model> make_model(const ModelConfig& config, const ModelShape& shape) {
  auto it = factories().find(config.name);
  if (it == factories().end())
    GALIEN_USER_ERROR("model.name '" << config.name << "' is not a galien model; known models: "
                      << joined(model_names()));
  return it->second(config, shape);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  return names;
}

}  // namespace galien
