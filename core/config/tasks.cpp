#include "core/config/tasks.h"

#include <algorithm>

#include "core/error.h"
#include "core/text.h"

namespace galien {

bool TaskInfo::accepts_loss(const std::string& loss) const {
  return std::find(losses.begin(), losses.end(), loss) != losses.end();
}

const std::vector<TaskInfo>& task_catalog() {
  // The table. Each task's first loss is today's loss of that task: existing configs, which do
  // not set trainer.loss, train exactly as before.
  static const std::vector<TaskInfo> table = {
      {"classification", "a class label per sample (data.label, data.classes)",
       "data.label (and data.classes)", {"ce", "focal"}, "val/loss", "min"},
      {"survival", "a survival time and an event indicator per sample (/time, /event)",
       "data.time and data.event", {"cox", "cox_breslow"}, "val/loss", "min"},
      {"regression", "a numeric target per sample (/target), standardised on the train split",
       "data.label (a numeric column)", {"mse"}, "val/loss", "min"},
      {"segmentation", "an image and a label mask per case (/image, /mask); data.classes names "
       "the label values 0, 1, ...", "data.images (nifti, imagesTr/ + labelsTr/) and data.classes",
       {"dice_ce", "dice", "ce", "focal"}, "val/dice", "max"},
  };
  return table;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const TaskInfo& task : task_catalog()) names.push_back(task.name);
  return names;
}

const TaskInfo* find_task(const std::string& name) {
  for (const TaskInfo& task : task_catalog())
    if (task.name == name) return &task;
  return nullptr;
}

std::vector<std::string> catalog_loss_names() {
  std::vector<std::string> names;
  for (const TaskInfo& task : task_catalog())
    for (const std::string& loss : task.losses)
      if (std::find(names.begin(), names.end(), loss) == names.end()) names.push_back(loss);
  return names;
}

namespace {

std::string loss_list(const TaskInfo& task) {
  std::string text;
  for (const std::string& loss : task.losses)
    text += (text.empty() ? "" : ", ") + loss + (loss == task.default_loss() ? " (default)" : "");
  return text;
}

}  // namespace

std::string describe_task_losses() {
  std::string text;
  for (const TaskInfo& task : task_catalog())
    text += (text.empty() ? "" : "; ") + task.name + ": " + loss_list(task);
  return text;
}

std::string resolve_task_loss(const std::string& task, const std::string& loss,
                              const std::string& where) {
  const TaskInfo* info = find_task(task);
  if (!info)
    GALIEN_USER_ERROR(where << ": task '" << task << "' is not one this galien knows ("
                      << joined(task_names()) << ")");
  if (loss == kAutoLoss) return info->default_loss();
  if (!info->accepts_loss(loss))
    GALIEN_USER_ERROR(where << ": trainer.loss '" << loss << "' is not a loss of task " << task
                      << "; allowed for " << task << ": " << loss_list(*info)
                      << ", or auto (= " << info->default_loss() << ")");
  return loss;
}

}  // namespace galien
