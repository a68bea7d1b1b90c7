// The facts of a dataset a training run needs, read from the shards (manifest.json `task`, the
// train split), not from the model. No LibTorch: the batch loader and the model shape read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

struct TaskSpec {
  std::string task;                  // data.task of the shards (core/config/tasks.h)
  std::int64_t num_outputs = 1;      // the model's outputs per sample: classes, or 1
  int num_classes = 1;               // classification; 1 otherwise
  double target_mean = 0.0;          // regression: train split statistics from the manifest,
  double target_std = 1.0;           // used to standardise the target for the loss
  bool has_features = false;         // the shards carry clinical features
  std::vector<std::int64_t> image;   // one sample's image shape [C,H,W] / [C,D,H,W]; empty = none

  std::int64_t image_values() const;  // product(image), 0 without images
};

}  // namespace galien
