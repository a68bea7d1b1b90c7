#include "trainers/task.h"

#include <set>

#include "core/error.h"

namespace galien {

const char* task_name(Task task) {
  switch (task) {
    case Task::kClassification: return "classification";
    case Task::kSurvival: return "survival";
    case Task::kRegression: return "regression";
  }
  return "?";
}

std::int64_t TaskSpec::image_values() const {
  if (image.empty()) return 0;
  std::int64_t n = 1;
  for (auto d : image) n *= d;
  return n;
}

TaskSpec task_spec(const Manifest& manifest, const RankShards& train, const std::string& shard_dir) {
  TaskSpec spec;
  if (manifest.task == "classification") {
    spec.task = Task::kClassification;
  } else if (manifest.task == "survival") {
    spec.task = Task::kSurvival;
  } else if (manifest.task == "regression") {
    spec.task = Task::kRegression;
  } else {
    GALIEN_USER_ERROR(shard_dir << "/manifest.json: task '" << manifest.task << "' is not one "
                      << "this trainer knows (classification, survival, regression); "
                      << "use a newer galien or re-shard");
  }
  spec.num_classes = spec.task == Task::kClassification
                         ? static_cast<int>(manifest.classes.size()) : 1;
  if (spec.task == Task::kClassification && spec.num_classes < 2)
    GALIEN_USER_ERROR(shard_dir << "/manifest.json: a classification dataset needs at least 2 "
                      << "classes, found " << spec.num_classes << "; check data.classes");
  if (spec.task == Task::kRegression) {
    spec.target_mean = manifest.target_mean;
    spec.target_std = manifest.target_std > 0 ? manifest.target_std : 1.0;
  }
  spec.has_features = manifest.num_features() > 0;
  spec.image = train.image_shape();
  return spec;
}

ModelShape model_shape(const TaskSpec& spec, std::int64_t num_features) {
  ModelShape shape{num_features, spec.num_outputs(), {}};
  if (!spec.image.empty()) {
    shape.image.channels = spec.image[0];
    shape.image.depth = spec.image.size() == 4 ? spec.image[1] : 0;
    shape.image.height = spec.image[spec.image.size() - 2];
    shape.image.width = spec.image.back();
  }
  return shape;
}

void check_model_fits_task(const std::string& model, const TaskSpec& spec) {
  static const std::set<std::string> survival_only = {"deepsurv", "cox_linear"};
  if (survival_only.count(model) && spec.task != Task::kSurvival)
    GALIEN_USER_ERROR("model.name " << model << " is a Cox survival model, but the shards hold a "
                      << task_name(spec.task) << " dataset; shard with data.task: survival "
                      << "(data.time, data.event) or choose another model");
  if (model == "unet3d")
    GALIEN_USER_ERROR("model.name unet3d (segmentation) has no training loop in this version: "
                      << "`galien train` learns classification, survival and regression; "
                      << "see docs/models.md");
}

}  // namespace galien
