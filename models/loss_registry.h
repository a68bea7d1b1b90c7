// Losses by name, as chosen in YAML (`trainer.loss`; which task accepts which name is in
// core/config/tasks.cpp). Adding a loss is its function in models/losses and one line in
// loss_registry.cpp's table. A task (trainers/tasks/) fills LossInputs from its batch and asks
// the entry for the weighted sum (training) or the per-sample terms (evaluation).
#pragma once

#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace galien {

// What a loss is computed from. Tensors a loss does not use stay undefined.
struct LossInputs {
  torch::Tensor output;         // the model's output: logits [N, K], or one value per sample
  torch::Tensor labels;         // [N] int64 class indices (class losses)
  torch::Tensor target;         // [N] float, on the output's scale (regression)
  torch::Tensor time;           // [N] float (survival)
  torch::Tensor event;          // [N] float, 0 or 1 (survival)
  torch::Tensor weights;        // [N] >= 0; undefined = every sample once (no padding)
  torch::Tensor class_weights;  // [K] or undefined (= 1); the focal loss's alpha
};

using LossFunction = std::function<torch::Tensor(const LossInputs&)>;

struct LossEntry {
  std::string name;   // the trainer.loss value
  std::string help;   // one line for docs and messages
  // sum_i weights_i * term_i (a scalar). Cox: the negative log partial likelihood of the
  // samples given (they are the risk sets), summed over events.
  LossFunction sum;
  // The unweighted per-sample terms [N], for evaluation; empty for a loss that has none (Cox).
  LossFunction terms;
};

// The entry named `name`; GALIEN_CHECK when unknown (config validation refuses unknown names
// with the key's FILE:LINE before anything reaches here).
const LossEntry& find_loss(const std::string& name);
std::vector<std::string> loss_names();

}  // namespace galien
