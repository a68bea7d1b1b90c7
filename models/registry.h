// Models by name, as chosen in YAML (`model.name`). Adding a model is one file plus one line in
// registry.cpp's table; the line names the tasks (data.task, core/config/tasks.h) it serves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

std::shared_ptr<Model> make_model(const ModelConfig& config, const ModelShape& shape);
std::vector<std::string> model_names();

// The tasks model `name` serves (its registry line); GALIEN_CHECK for an unknown model.
std::vector<std::string> model_tasks(const std::string& name);
// The models that serve `task`, in name order.
std::vector<std::string> models_for_task(const std::string& task);

// UserError starting with `where` (model.name's FILE:LINE:COLUMN) when model `name` does not
// serve `task`, the task of the shards in `shard_dir`: names the key, the task, what to shard
// instead and the models that do serve the task.
void check_model_serves(const std::string& name, const std::string& task,
                        const std::string& shard_dir, const std::string& where);

}  // namespace galien
