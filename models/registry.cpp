#include "models/registry.h"

#include <functional>
#include <map>
#include <sstream>

#include "core/config/tasks.h"
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

// A model: how to build it, and the tasks whose outputs it produces (class logits, one log-risk
// or value per sample, per-voxel logits).
struct Entry {
  Factory make;
  std::vector<std::string> tasks;
};

const std::vector<std::string> kSampleTasks = {"classification", "survival", "regression"};

// The table. An explicit list (not static self-registration, which the linker drops from
// static libraries).
const std::map<std::string, Entry>& factories() {
  static const std::map<std::string, Entry> table = {
      {"mlp", {make_mlp, kSampleTasks}},
      {"deepsurv", {make_deepsurv, {"survival"}}},
      {"cox_linear", {make_cox_linear, {"survival"}}},
      {"resnet2d", {make_resnet2d, kSampleTasks}},
      {"resnet3d", {make_resnet3d, kSampleTasks}},
      {"unet2d", {make_unet2d, {"segmentation"}}},
      {"unet3d", {make_unet3d, {"segmentation"}}},
      {"fusion", {make_fusion, kSampleTasks}},
      {"tf_cnn", {make_tf_cnn, kSampleTasks}},
  };
  return table;
}

}  // namespace

std::shared_ptr<Model> make_model(const ModelConfig& config, const ModelShape& shape) {
  auto it = factories().find(config.name);
  if (it == factories().end())
    GALIEN_USER_ERROR("model.name '" << config.name << "' is not a galien model; known models: "
                      << joined(model_names()));
  return it->second.make(config, shape);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  return names;
}

std::vector<std::string> model_tasks(const std::string& name) {
  auto it = factories().find(name);
  GALIEN_CHECK(it != factories().end(), "no model named '" << name << "'");
  return it->second.tasks;
}

std::vector<std::string> models_for_task(const std::string& task) {
  std::vector<std::string> names;
  for (const auto& [name, entry] : factories())
    for (const auto& served : entry.tasks)
      if (served == task) names.push_back(name);
  return names;
}

void check_model_serves(const std::string& name, const std::string& task,
                        const std::string& shard_dir, const std::string& where) {
  auto it = factories().find(name);
  if (it == factories().end())
    GALIEN_USER_ERROR(where << ": model.name '" << name << "' is not a galien model; known "
                      << "models: " << joined(model_names()));
  const std::vector<std::string>& served = it->second.tasks;
  for (const auto& t : served)
    if (t == task) return;
  // A task the model serves that this galien can train, to suggest sharding for it.
  const TaskInfo* trainable = nullptr;
  for (const auto& t : served)
    if (!trainable) trainable = find_task(t);
  std::ostringstream hint;
  if (trainable)
    hint << "shard with data.task: " << trainable->name << " (" << trainable->shard_keys << ")";
  else
    hint << "`galien train` cannot learn " << joined(served) << " yet (it learns "
         << joined(task_names()) << "; see docs/models.md)";
  GALIEN_USER_ERROR(where << ": model.name " << name << " serves " << joined(served)
                    << ", but the shards in " << shard_dir << " hold a " << task << " dataset; "
                    << hint.str() << ", or choose a model for " << task << ": "
                    << joined(models_for_task(task)));
}

}  // namespace galien
