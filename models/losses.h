// Training losses. Each takes per-sample weights and returns the weighted SUM of per-sample
// terms (a scalar), because the trainer divides by the number of real samples in the global
// batch across ranks (docs/ARCHITECTURE.md): summed over ranks, that is the global mean.
//
// A sample of weight 0 (the trainer's padding) contributes nothing: it is removed before any
// arithmetic, so not even a NaN in its logits reaches the loss or the gradient. Weights must be
// >= 0. The *_terms functions give the unweighted per-sample terms, for evaluation.
//
// Per-sample terms, precisely (N samples, K classes, L labels, V voxels):
//   cross entropy   cw[y_i] * -log softmax(z_i)[y_i]          (cw = class weights, default 1)
//   BCE multi-label (1/L) sum_l bce(z_il, y_il; pos_weight_l)  (the mean over labels, so that
//                   dividing the sum by N gives PyTorch's BCEWithLogitsLoss 'mean')
//   focal           -alpha[y_i] * (1 - p_iy)^gamma * log p_iy  (Lin et al. 2017, softmax form)
//   Dice            1 - mean_c (2 sum_v p_vc g_vc + s) / (sum_v p_vc + sum_v g_vc + s)
//                   per sample (soft Dice of softmax probabilities against one-hot labels)
//   Dice + CE       dice_weight * Dice_i + ce_weight * (1/V) sum_v CE_iv
// PyTorch's class-weighted cross_entropy with reduction 'mean' divides by sum_i cw[y_i]; here
// the trainer divides by N, so class weights act as extra sample weights.
//
// Cox partial likelihood: the samples of one call are the risk sets (the likelihood couples
// them), so there are no per-sample terms; see cox_loss.
#pragma once

#include <torch/types.h>

namespace galien {

// logits [N, K], labels [N] int64 in [0, K), class_weights [K] or undefined. The one cross
// entropy of galien: training (cross_entropy_sum) and evaluation (the terms) both use it.
torch::Tensor cross_entropy_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const torch::Tensor& class_weights = {});
torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                 const torch::Tensor& weights,
                                 const torch::Tensor& class_weights = {});
// The training step's form: sum_i weights_i * terms_i without host synchronisation (no label
// check, no row selection: padding must be finite, as the trainer's copies of real samples
// are). `weights` undefined = every sample once, computed as one fused op (a small model's step
// is dominated by the number of ops, not their size).
torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& weights,
                                const torch::Tensor& class_weights = {});

// Regression: (prediction - target)^2 per sample; prediction [N] or [N, 1], target [N].
torch::Tensor squared_error_terms(const torch::Tensor& prediction, const torch::Tensor& target);

// Multi-label: logits and targets [N, L], targets in [0, 1]; pos_weight [L] or undefined.
torch::Tensor bce_terms(const torch::Tensor& logits, const torch::Tensor& targets,
                        const torch::Tensor& pos_weight = {});
torch::Tensor bce_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                       const torch::Tensor& weights, const torch::Tensor& pos_weight = {});

// logits [N, K], labels [N]; gamma >= 0 (0 = cross entropy); alpha [K] or undefined (= 1).
torch::Tensor focal_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                          double gamma = 2.0, const torch::Tensor& alpha = {});
torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                         const torch::Tensor& weights, double gamma = 2.0,
                         const torch::Tensor& alpha = {});

// Dense (segmentation) forms: logits [N, K, *spatial], labels [N, *spatial] int64; one term per
// sample, the mean of the voxel terms (cross entropy, or focal), as nnU-Net's and MONAI's
// voxel-averaged losses.
torch::Tensor dense_cross_entropy_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                        const torch::Tensor& class_weights = {});
torch::Tensor dense_focal_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                double gamma = 2.0, const torch::Tensor& alpha = {});

struct DiceOptions {
  double smooth = 1e-5;             // s, added to numerator and denominator (MONAI's default)
  bool include_background = true;   // false: class 0 is left out of the mean over classes
};
// Segmentation: logits [N, K, *spatial] (K >= 2), labels [N, *spatial] int64 in [0, K).
torch::Tensor dice_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                         const DiceOptions& options = {});
torch::Tensor dice_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                        const torch::Tensor& weights, const DiceOptions& options = {});

struct DiceCeOptions {
  DiceOptions dice;
  double dice_weight = 1.0;
  double ce_weight = 1.0;
};
torch::Tensor dice_ce_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                            const DiceCeOptions& options = {});
torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                           const torch::Tensor& weights, const DiceCeOptions& options = {});

enum class CoxTies { kEfron, kBreslow };

// Negative log Cox partial likelihood of log-risks `risk` ([N] or [N, 1]) for survival times
// `time` [N] and event indicators `event` [N] (nonzero = event, 0 = censored), with case
// weights `weights` [N], summed over events (not divided by the number of events or samples).
//
// With D(t) the events at time t, d = |D(t)| (counting only positive-weight samples), R(t) the
// samples with time >= t, S = sum_{R(t)} w_j exp(h_j), T = sum_{D(t)} w_i exp(h_i) and
// m = (sum_{D(t)} w_i) / d:
//   Efron:    -sum_t [ sum_{D(t)} w_i h_i - m sum_{k=0}^{d-1} log(S - (k/d) T) ]
//   Breslow:  -sum_t [ sum_{D(t)} w_i h_i - m d log S ]
// This is R survival's coxph weighting; both forms agree when no event times are tied. Computed
// in double precision, with h shifted by its maximum (the shift cancels exactly).
//
// Data parallelism: every call's samples are its own risk sets. Under the trainer each rank
// calls it on its local part of the global batch, so the sum over ranks is the partial
// likelihood stratified by rank (and, within a rank, by batch), as minibatch DeepSurv
// implementations do. Each stratum is a valid likelihood of the same coefficients, but the risk
// sets are smaller than the full data's: the exact full-data likelihood needs one rank and a
// batch holding the whole training split.
torch::Tensor cox_loss(const torch::Tensor& risk, const torch::Tensor& time,
                       const torch::Tensor& event, const torch::Tensor& weights,
                       CoxTies ties = CoxTies::kEfron);

}  // namespace galien
