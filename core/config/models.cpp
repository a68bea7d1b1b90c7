#include "core/config/models.h"

#include <map>
#include <sstream>

#include "core/config/tasks.h"
#include "core/error.h"
#include "core/text.h"

namespace galien {
namespace {

const std::vector<std::string> kSampleTasks = {"classification", "survival", "regression"};

// The tasks whose outputs each model produces (class logits, one log-risk or value per sample,
// per-voxel logits).
const std::map<std::string, std::vector<std::string>>& table() {
  static const std::map<std::string, std::vector<std::string>> models = {
      {"mlp", kSampleTasks},
      {"deepsurv", {"survival"}},
      {"cox_linear", {"survival"}},
      {"resnet2d", kSampleTasks},
      {"resnet3d", kSampleTasks},
      {"unet2d", {"segmentation"}},
      {"unet3d", {"segmentation"}},
      {"fusion", kSampleTasks},
      {"tf_cnn", kSampleTasks},
  };
  return models;
}

}  // namespace

std::vector<std::string> catalog_model_names() {
  std::vector<std::string> names;
  for (const auto& entry : table()) names.push_back(entry.first);
  return names;
}

std::vector<std::string> model_tasks(const std::string& name) {
  auto it = table().find(name);
  GALIEN_CHECK(it != table().end(), "no model named '" << name << "'");
  return it->second;
}

std::vector<std::string> models_for_task(const std::string& task) {
  std::vector<std::string> names;
  for (const auto& [name, tasks] : table())
    for (const auto& served : tasks)
      if (served == task) names.push_back(name);
  return names;
}

void check_model_serves(const std::string& name, const std::string& task,
                        const std::string& shard_dir, const std::string& where) {
  auto it = table().find(name);
  if (it == table().end())
    GALIEN_USER_ERROR(where << ": model.name '" << name << "' is not a galien model; known "
                      << "models: " << joined(catalog_model_names()));
  const std::vector<std::string>& served = it->second;
  for (const auto& t : served)
    if (t == task) return;
  // A task the model serves, to suggest sharding for it.
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
