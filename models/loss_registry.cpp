#include "models/loss_registry.h"

#include "core/error.h"
#include "models/losses.h"

namespace galien {
namespace {

// Lin et al. 2017's default focusing parameter (and RetinaNet's).
constexpr double kFocalGamma = 2.0;

torch::Tensor weighted(const torch::Tensor& terms, const torch::Tensor& weights) {
  return weights.defined() ? (terms * weights).sum() : terms.sum();
}

// Class losses take logits [N, K] (classification) or [N, K, *spatial] (segmentation: one term
// per sample, the mean over its voxels).
bool dense(const LossInputs& in) { return in.output.dim() > 2; }

torch::Tensor ce_terms(const LossInputs& in) {
  return dense(in) ? dense_cross_entropy_terms(in.output, in.labels, in.class_weights)
                   : cross_entropy_terms(in.output, in.labels, in.class_weights);
}

torch::Tensor focal_loss_terms(const LossInputs& in) {
  return dense(in) ? dense_focal_terms(in.output, in.labels, kFocalGamma, in.class_weights)
                   : focal_terms(in.output, in.labels, kFocalGamma, in.class_weights);
}

// Dice losses take every sample once when no weights are given (no padding).
torch::Tensor weights_or_ones(const LossInputs& in) {
  return in.weights.defined() ? in.weights
                              : torch::ones({in.output.size(0)}, in.output.options());
}

// The table. An explicit list (not static self-registration, which the linker drops from
// static libraries).
const std::vector<LossEntry>& table() {
  static const std::vector<LossEntry> entries = {
      {"ce", "cross entropy of class logits (class weights: trainer.class_weights)",
       [](const LossInputs& in) {
         if (dense(in)) return weighted(ce_terms(in), in.weights);
         return cross_entropy_sum(in.output, in.labels, in.weights, in.class_weights);
       },
       ce_terms},
      {"focal", "focal loss, gamma 2 (Lin et al. 2017); alpha = trainer.class_weights",
       [](const LossInputs& in) { return weighted(focal_loss_terms(in), in.weights); },
       focal_loss_terms},
      {"dice_ce", "soft Dice (background included) + voxel cross entropy, weights 1 and 1, as "
       "nnU-Net and MONAI DiceCELoss",
       [](const LossInputs& in) { return dice_ce_loss(in.output, in.labels, weights_or_ones(in)); },
       [](const LossInputs& in) { return dice_ce_terms(in.output, in.labels); }},
      {"dice", "soft Dice of softmax probabilities, background included (MONAI DiceLoss)",
       [](const LossInputs& in) { return dice_loss(in.output, in.labels, weights_or_ones(in)); },
       [](const LossInputs& in) { return dice_terms(in.output, in.labels); }},
      {"mse", "squared error of the standardised target",
       [](const LossInputs& in) {
         return weighted(squared_error_terms(in.output, in.target), in.weights);
       },
       [](const LossInputs& in) { return squared_error_terms(in.output, in.target); }},
      {"cox", "negative log Cox partial likelihood, Efron's ties",
       [](const LossInputs& in) {
         return cox_loss(in.output, in.time, in.event, in.weights, CoxTies::kEfron);
       },
       {}},
      {"cox_breslow", "negative log Cox partial likelihood, Breslow's ties",
       [](const LossInputs& in) {
         return cox_loss(in.output, in.time, in.event, in.weights, CoxTies::kBreslow);
       },
       {}},
  };
  return entries;
}

}  // namespace

const LossEntry& find_loss(const std::string& name) {
  for (const LossEntry& entry : table())
    if (entry.name == name) return entry;
  GALIEN_CHECK(false, "no loss named '" << name << "' in models/loss_registry.cpp");
  throw;  // unreachable
}

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const LossEntry& entry : table()) names.push_back(entry.name);
  return names;
}

}  // namespace galien
