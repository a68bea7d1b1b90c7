// The model catalog: which tasks each value of `model.name` serves, without LibTorch, so that
// `galien launch` checks a model against the shards' task before any process starts
// (datasets/run_checks.h) as the trainer does at set-up. How each model is built is in
// models/registry.cpp, whose table must name the same models (tests/unit/test_models.cpp).
#pragma once

#include <string>
#include <vector>

namespace galien {

// Every model name, in name order.
std::vector<std::string> catalog_model_names();
// The tasks model `name` serves; GALIEN_CHECK for an unknown model.
std::vector<std::string> model_tasks(const std::string& name);
// The models that serve `task`, in name order.
std::vector<std::string> models_for_task(const std::string& task);

// UserError starting with `where` (model.name's FILE:LINE:COLUMN) when model `name` is unknown
// or does not serve `task`, the task of the shards in `shard_dir`: names the key, the task, what
// to shard instead and the models that do serve the task.
void check_model_serves(const std::string& name, const std::string& task,
                        const std::string& shard_dir, const std::string& where);

}  // namespace galien
