// The task catalog: what each value of `data.task` means to a config, without LibTorch. Config
// validation (trainer.loss at load), `galien config keys`, the trainer's task registry
// (trainers/tasks/registry.cpp) and docs read it. The tensor side of a task (batch fields,
// training loss, evaluation) lives in trainers/tasks/<task>.cpp.
//
// Adding a task: one entry in tasks.cpp's table (its losses, default monitor), one file in
// trainers/tasks/ and its line in trainers/tasks/registry.cpp (a test checks that the two tables
// name the same tasks). Adding a loss: its function and line in models/loss_registry.cpp and its
// name in the entry of each task that accepts it here.
#pragma once

#include <string>
#include <vector>

namespace galien {

struct TaskInfo {
  std::string name;                 // the data.task value
  std::string summary;              // what the shards hold, one line
  std::string shard_keys;           // the data.* keys that make shards of this task
  std::vector<std::string> losses;  // trainer.loss values it accepts; losses[0] is its default
  std::string monitor;              // the metric its runs monitor by default, and in which
  std::string monitor_mode;         // direction it improves (min | max)

  const std::string& default_loss() const { return losses.front(); }
  bool accepts_loss(const std::string& loss) const;
};

// trainer.loss's default: the task's own default loss (TaskInfo::default_loss()).
inline constexpr const char* kAutoLoss = "auto";

// Every task, in the order docs and messages list them.
const std::vector<TaskInfo>& task_catalog();
std::vector<std::string> task_names();
const TaskInfo* find_task(const std::string& name);  // nullptr when unknown

// Every loss name of any task, once each, in catalog order (the values trainer.loss may take,
// besides auto).
std::vector<std::string> catalog_loss_names();

// "classification: ce (default), focal; survival: ..." for help texts and messages.
std::string describe_task_losses();

// The loss a run of `task` uses for trainer.loss `loss` (auto = the task's default). UserError
// starting with `where` (FILE:LINE:COLUMN of the trainer.loss value) when the task does not
// accept it, naming the key, the task and the allowed values; and for an unknown task.
std::string resolve_task_loss(const std::string& task, const std::string& loss,
                              const std::string& where);

}  // namespace galien
