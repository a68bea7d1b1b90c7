// Models by name, as chosen in YAML (`model.name`). Adding a model is one file, one line in
// registry.cpp's table (how to build it) and one in core/config/models.cpp's (the tasks it
// serves: data.task, core/config/tasks.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/models.h"  // model_tasks, models_for_task, check_model_serves
#include "models/model.h"

namespace galien {

std::shared_ptr<Model> make_model(const ModelConfig& config, const ModelShape& shape);
std::vector<std::string> model_names();

}  // namespace galien
