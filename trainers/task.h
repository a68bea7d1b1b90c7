// What a training run learns, read from the shards (manifest.json `task`), not from the model:
// classification (class logits, cross-entropy), survival (one log-risk per sample, Cox partial
// likelihood) or regression (one value, squared error on the standardised target). The loss,
// the evaluation metrics and the prediction files all follow from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "models/model.h"

namespace galien {

enum class Task { kClassification, kSurvival, kRegression };

const char* task_name(Task task);

struct TaskSpec {
  Task task = Task::kClassification;
  int num_classes = 0;               // classification; 1 otherwise
  double target_mean = 0.0;          // regression: train split statistics from the manifest,
  double target_std = 1.0;           // used to standardise the target for the loss
  bool has_features = false;         // the shards carry clinical features
  std::vector<std::int64_t> image;   // one sample's image shape [C,H,W] / [C,D,H,W]; empty = none

  std::int64_t num_outputs() const { return task == Task::kClassification ? num_classes : 1; }
  std::int64_t image_values() const;  // product(image), 0 without images
};

// UserError naming shard_dir/manifest.json for a task this trainer does not know.
TaskSpec task_spec(const Manifest& manifest, const RankShards& train, const std::string& shard_dir);

// The sizes a model built for this data must match (features, outputs, image).
ModelShape model_shape(const TaskSpec& spec, std::int64_t num_features);

// UserError when model.name cannot learn `task` (a Cox model on a classification dataset...).
void check_model_fits_task(const std::string& model, const TaskSpec& spec);

}  // namespace galien
