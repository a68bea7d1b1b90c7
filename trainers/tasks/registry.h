// Tasks by name: the task of the shards (manifest.json `task`) to its task object. The only
// place that maps a task's name to its code; what each task accepts in a config is in
// core/config/tasks.cpp (no LibTorch).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "trainers/tasks/task.h"

namespace galien {

// The task object for the shards in `shard_dir` (their manifest) and this config:
//  - UserError naming shard_dir/manifest.json for a task this trainer does not know;
//  - UserError at trainer.loss's FILE:LINE:COLUMN when the shards' task does not accept it;
//  - UserError at trainer.class_weights's when it is set for a task without class labels;
//  - UserError at model.name's when the model does not serve the task (models/registry.h).
// `image_shape`: one sample's image shape in the shards (RankShards::image_shape()), empty = none.
std::unique_ptr<TrainingTask> make_task(const Config& config, const Manifest& manifest,
                                        const std::vector<std::int64_t>& image_shape,
                                        const std::string& shard_dir, const Comm& comm,
                                        torch::Device device);

// The names of the tasks with a task object, in table order (the catalog must list the same).
std::vector<std::string> registered_tasks();

}  // namespace galien
