#include "trainers/tasks/registry.h"

#include <map>

#include "core/error.h"
#include "core/text.h"
#include "datasets/run_checks.h"
#include "models/registry.h"

namespace galien {

// One line per task here and one in the table below; each is defined in trainers/tasks/<task>.cpp.
std::unique_ptr<TrainingTask> make_classification_task(const TaskContext& context);
std::unique_ptr<TrainingTask> make_survival_task(const TaskContext& context);
std::unique_ptr<TrainingTask> make_regression_task(const TaskContext& context);
std::unique_ptr<TrainingTask> make_segmentation_task(const TaskContext& context);

namespace {

using Factory = std::unique_ptr<TrainingTask> (*)(const TaskContext&);

// The table. An explicit list (not static self-registration, which the linker drops from
// static libraries).
const std::vector<std::pair<std::string, Factory>>& table() {
  static const std::vector<std::pair<std::string, Factory>> entries = {
      {"classification", make_classification_task},
      {"survival", make_survival_task},
      {"regression", make_regression_task},
      {"segmentation", make_segmentation_task},
  };
  return entries;
}

}  // namespace

std::vector<std::string> registered_tasks() {
  std::vector<std::string> names;
  for (const auto& entry : table()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<TrainingTask> make_task(const Config& config, const Manifest& manifest,
                                        const std::vector<std::int64_t>& image_shape,
                                        const std::string& shard_dir, const Comm& comm,
                                        torch::Device device) {
  Factory factory = nullptr;
  for (const auto& entry : table())
    if (entry.first == manifest.task) factory = entry.second;
  if (!factory || !find_task(manifest.task))
    GALIEN_USER_ERROR(shard_dir << "/manifest.json: task '" << manifest.task << "' is not one "
                      << "this trainer knows (" << joined(registered_tasks()) << "); "
                      << "use a newer galien or re-shard");
  // The config was checked against its own data.task at load; the shards decide.
  const std::string loss =
      resolve_task_loss(manifest.task, config.trainer.loss, config.origin_of("trainer.loss"));
  check_model_serves(config.model.name, manifest.task, shard_dir, config.origin_of("model.name"));
  check_patient_metrics(config, manifest);

  TaskContext context{config, manifest, shard_dir, {}, loss, comm, device};
  context.spec.task = manifest.task;
  context.spec.has_features = manifest.num_features() > 0;
  context.spec.image = image_shape;
  std::unique_ptr<TrainingTask> task = factory(context);
  if (config.trainer.class_weights != "none" && !task->uses_class_weights())
    GALIEN_USER_ERROR(config.origin_of("trainer.class_weights")
                      << ": trainer.class_weights: " << config.trainer.class_weights
                      << " applies to tasks with class labels (classification); this dataset "
                      << "is " << manifest.task << ": set trainer.class_weights: none");
  return task;
}

}  // namespace galien
