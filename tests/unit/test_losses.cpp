// Losses against hand-computed values, and the padding contract: a zero-weight sample changes
// neither the loss nor any gradient, even when its inputs are NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "models/losses.h"

namespace galien {
namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values); }
torch::Tensor ints(std::vector<std::int64_t> values) { return torch::tensor(values); }

double value(const torch::Tensor& t) { return t.item<double>(); }

// ---- Classification -----------------------------------------------------------------------

TEST(Losses, CrossEntropyMatchesHandValueAndClassWeights) {
  auto logits = torch::tensor({{1.0f, 2.0f, 0.0f}, {0.0f, 0.0f, 0.0f}});
  auto labels = ints({1, 2});
  const double ce0 = -std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0) + 1.0));
  const double ce1 = std::log(3.0);
  EXPECT_NEAR(value(cross_entropy_loss(logits, labels, floats({1, 1}))), ce0 + ce1, 1e-6);
  // Per-sample weights and class weights multiply the per-sample terms; nothing is averaged.
  EXPECT_NEAR(value(cross_entropy_loss(logits, labels, floats({2, 1}), floats({1, 5, 0.5f}))),
              2 * 5 * ce0 + 0.5 * ce1, 1e-5);
  auto terms = cross_entropy_terms(logits, labels);
  EXPECT_NEAR(value(terms[0]), ce0, 1e-6);
  EXPECT_NEAR(value(terms[1]), ce1, 1e-6);
}

TEST(Losses, BceIsTheMeanOverLabelsWithPosWeight) {
  auto logits = torch::tensor({{0.0f, 2.0f}});
  auto targets = torch::tensor({{1.0f, 0.0f}});
  // Label 1: -log sigmoid(0) = log 2; label 2: -log(1 - sigmoid(2)) = log(1 + e^2).
  const double l1 = std::log(2.0), l2 = std::log1p(std::exp(2.0));
  EXPECT_NEAR(value(bce_loss(logits, targets, floats({1}))), (l1 + l2) / 2, 1e-6);
  // pos_weight multiplies the positive term only.
  EXPECT_NEAR(value(bce_loss(logits, targets, floats({1}), floats({3, 7}))), (3 * l1 + l2) / 2,
              1e-6);
}

TEST(Losses, FocalReducesToCrossEntropyAtGammaZero) {
  auto logits = torch::tensor({{0.5f, -1.0f, 2.0f}, {3.0f, 0.0f, 0.0f}});
  auto labels = ints({0, 0});
  auto weights = floats({1, 1});
  EXPECT_NEAR(value(focal_loss(logits, labels, weights, 0.0)),
              value(cross_entropy_loss(logits, labels, weights)), 1e-6);
  // gamma = 2: -(1 - p)^2 log p for each sample, alpha = class factor.
  auto p = torch::softmax(logits, 1).select(1, 0).to(torch::kFloat64);
  const double expected = (-(1 - p).pow(2) * p.log()).sum().item<double>();
  EXPECT_NEAR(value(focal_loss(logits, labels, weights, 2.0)), expected, 1e-6);
  EXPECT_NEAR(value(focal_loss(logits, labels, weights, 2.0, floats({0.25f, 1, 1}))),
              0.25 * expected, 1e-6);
  // Confident correct predictions are down-weighted relative to cross entropy.
  EXPECT_LT(value(focal_terms(logits, labels, 2.0)[1]),
            value(cross_entropy_terms(logits, labels)[1]));
}

// ---- Segmentation -------------------------------------------------------------------------

TEST(Losses, DiceMatchesHandValues) {
  // One sample, 2 classes, 2 voxels, logits 0: p = 0.5 everywhere.
  auto logits = torch::zeros({1, 2, 2});
  DiceOptions options;
  options.smooth = 0.0;
  // Labels [0, 1]: each class has overlap 0.5 and total 1 + 1 -> Dice 1/2 -> loss 1/2.
  EXPECT_NEAR(value(dice_loss(logits, ints({0, 1}).reshape({1, 2}), floats({1}), options)), 0.5,
              1e-6);
  // Labels [1, 1]: class 0 Dice 0 / 1 = 0, class 1 Dice 2 * 1 / (1 + 2) = 2/3 -> loss 2/3.
  auto both_one = ints({1, 1}).reshape({1, 2});
  EXPECT_NEAR(value(dice_loss(logits, both_one, floats({1}), options)), 2.0 / 3, 1e-6);
  options.include_background = false;  // only class 1: loss 1/3
  EXPECT_NEAR(value(dice_loss(logits, both_one, floats({1}), options)), 1.0 / 3, 1e-6);
  // Dice + CE adds the mean voxel cross entropy, log 2 here.
  DiceCeOptions dice_ce;
  dice_ce.dice.smooth = 0.0;
  EXPECT_NEAR(value(dice_ce_loss(logits, both_one, floats({1}), dice_ce)),
              2.0 / 3 + std::log(2.0), 1e-6);
}

TEST(Losses, DiceIsNearZeroForAConfidentCorrectSegmentation) {
  auto labels = torch::randint(0, 3, {2, 4, 4, 4}, torch::kInt64);
  auto logits = 50 * torch::one_hot(labels, 3).movedim(-1, 1).to(torch::kFloat32);
  EXPECT_NEAR(value(dice_loss(logits, labels, floats({1, 1}))), 0.0, 1e-5);
  EXPECT_GT(value(dice_loss(-logits, labels, floats({1, 1}))), 1.9);  // wrong: ~1 per sample
}

// ---- Padding ------------------------------------------------------------------------------

// Adding a zero-weight sample with NaN inputs leaves the loss and the other gradients unchanged
// and gives the padded sample a zero gradient.
void expect_padding_ignored(
    const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& loss,
    torch::Tensor real_inputs, torch::Tensor real_weights) {
  auto inputs = real_inputs.clone().requires_grad_(true);
  auto reference = loss(inputs, real_weights);
  reference.backward();

  auto padding = torch::full_like(real_inputs.narrow(0, 0, 1), std::nan(""));
  auto padded = torch::cat({real_inputs, padding}).requires_grad_(true);
  auto padded_loss = loss(padded, torch::cat({real_weights, torch::zeros({1})}));
  padded_loss.backward();

  EXPECT_DOUBLE_EQ(value(padded_loss), value(reference));
  const auto n = real_inputs.size(0);
  EXPECT_TRUE(torch::equal(padded.grad().narrow(0, 0, n), inputs.grad()));
  EXPECT_TRUE(torch::equal(padded.grad().narrow(0, n, 1), torch::zeros_like(padding)));
}

TEST(Losses, ZeroWeightSamplesContributeNothing) {
  auto weights = floats({1, 0.5f, 2});
  auto labels = ints({0, 2, 1, 0});  // the last is the padded sample's
  expect_padding_ignored(
      [&](const torch::Tensor& x, const torch::Tensor& w) {
        return cross_entropy_loss(x, labels.narrow(0, 0, x.size(0)), w, floats({1, 2, 3}));
      },
      torch::randn({3, 3}), weights);
  expect_padding_ignored(
      [&](const torch::Tensor& x, const torch::Tensor& w) {
        return focal_loss(x, labels.narrow(0, 0, x.size(0)), w, 2.0);
      },
      torch::randn({3, 3}), weights);
  auto targets = torch::randint(0, 2, {4, 5}).to(torch::kFloat32);
  expect_padding_ignored(
      [&](const torch::Tensor& x, const torch::Tensor& w) {
        return bce_loss(x, targets.narrow(0, 0, x.size(0)), w, torch::full({5}, 2.0f));
      },
      torch::randn({3, 5}), weights);
  auto masks = torch::randint(0, 3, {4, 4, 4, 4}, torch::kInt64);
  expect_padding_ignored(
      [&](const torch::Tensor& x, const torch::Tensor& w) {
        return dice_ce_loss(x, masks.narrow(0, 0, x.size(0)), w);
      },
      torch::randn({3, 3, 4, 4, 4}), weights);
  auto times = floats({5, 2, 2, 2});  // the padded sample ties with two events
  auto events = ints({1, 1, 1, 1});
  expect_padding_ignored(
      [&](const torch::Tensor& x, const torch::Tensor& w) {
        const auto n = x.size(0);
        return cox_loss(x, times.narrow(0, 0, n), events.narrow(0, 0, n), w);
      },
      torch::randn({3}), weights);
}

TEST(Losses, AllPaddingGivesZeroLossAndZeroGradient) {
  auto logits = torch::randn({2, 3}).requires_grad_(true);
  auto loss = cross_entropy_loss(logits, ints({0, 1}), torch::zeros({2}));
  loss.backward();
  EXPECT_EQ(value(loss), 0.0);
  EXPECT_EQ(logits.grad().abs().sum().item<float>(), 0.0f);
}

// ---- Cox partial likelihood ---------------------------------------------------------------

// Four patients: A dies at t=1, B and C die at t=2 (tied), D is censored at t=3; their
// relative risks exp(h) are 1, 2, 3, 4.
struct TiedExample {
  // Double: LibTorch makes float32 tensors from double literals unless told otherwise.
  torch::Tensor risk = torch::log(torch::tensor({1.0, 2.0, 3.0, 4.0}, torch::kFloat64));
  torch::Tensor time = torch::tensor({1.0, 2.0, 2.0, 3.0}, torch::kFloat64);
  torch::Tensor event = ints({1, 1, 1, 0});
};

TEST(Losses, CoxEfronMatchesHandComputedTies) {
  TiedExample ex;
  // t=1: risk set {A, B, C, D}, S = 10: log-lik term h_A - log 10 = -log 10.
  // t=2: risk set {B, C, D}, S = 9; deaths B, C with T = 5, d = 2:
  //      h_B + h_C - log(9) - log(9 - 5/2) = log 6 - log 9 - log 6.5.
  // Negative log partial likelihood = log(10 * 9 * 6.5 / 6) = log 97.5.
  EXPECT_NEAR(value(cox_loss(ex.risk, ex.time, ex.event, torch::ones({4}))), std::log(97.5),
              1e-12);
  // Breslow uses S = 9 for both tied deaths: log(10 * 81 / 6) = log 135.
  EXPECT_NEAR(value(cox_loss(ex.risk, ex.time, ex.event, torch::ones({4}), CoxTies::kBreslow)),
              std::log(135.0), 1e-12);
}

TEST(Losses, CoxEfronWithCaseWeightsMatchesHandValue) {
  TiedExample ex;
  auto weights = torch::tensor({1.0, 2.0, 1.0, 1.0}, torch::kFloat64);  // B counts twice
  // t=1: S = 1 + 2*2 + 3 + 4 = 12: -log 12.
  // t=2: S = 4 + 3 + 4 = 11, T = 4 + 3 = 7, d = 2, mean event weight m = 3/2:
  //      2 h_B + h_C - 1.5 (log 11 + log(11 - 7/2)) = 2 log 2 + log 3 - 1.5 log(11 * 7.5).
  const double loglik = -std::log(12.0) + 2 * std::log(2.0) + std::log(3.0) -
                        1.5 * std::log(11.0 * 7.5);
  EXPECT_NEAR(value(cox_loss(ex.risk, ex.time, ex.event, weights)), -loglik, 1e-12);
}

TEST(Losses, CoxBreslowWeightEqualsDuplicatedRow) {
  TiedExample ex;
  auto weights = torch::tensor({1.0, 2.0, 1.0, 1.0}, torch::kFloat64);
  auto weighted = cox_loss(ex.risk, ex.time, ex.event, weights, CoxTies::kBreslow);
  auto dup = [](const torch::Tensor& t) { return torch::cat({t, t.narrow(0, 1, 1)}); };
  auto duplicated =
      cox_loss(dup(ex.risk), dup(ex.time), dup(ex.event), torch::ones({5}), CoxTies::kBreslow);
  EXPECT_NEAR(value(weighted), value(duplicated), 1e-12);
}

TEST(Losses, CoxEfronEqualsBreslowWithoutTies) {
  torch::manual_seed(3);
  auto risk = torch::randn({50}, torch::kFloat64);
  auto time = torch::randperm(50, torch::kFloat64) + 1;  // distinct times
  auto event = torch::randint(0, 2, {50}, torch::kInt64);
  auto weights = torch::rand({50}, torch::kFloat64) + 0.5;
  EXPECT_NEAR(value(cox_loss(risk, time, event, weights)),
              value(cox_loss(risk, time, event, weights, CoxTies::kBreslow)), 1e-10);
  // With ties they differ (Efron's risk-set correction is strictly smaller than Breslow's).
  auto tied = torch::floor(time / 10);
  EXPECT_LT(value(cox_loss(risk, tied, event, weights)),
            value(cox_loss(risk, tied, event, weights, CoxTies::kBreslow)));
}

TEST(Losses, CoxIsShiftInvariantAndStableForLargeRisks) {
  TiedExample ex;
  auto shifted = cox_loss(ex.risk + 1000.0, ex.time, ex.event, torch::ones({4}));
  EXPECT_NEAR(value(shifted), std::log(97.5), 1e-9);
  // Float32 risks: computed in double, returned as float.
  auto f = cox_loss(ex.risk.to(torch::kFloat32), ex.time, ex.event, torch::ones({4}));
  EXPECT_EQ(f.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(value(f), std::log(97.5), 1e-6);
}

TEST(Losses, CoxGradientMatchesFiniteDifferences) {
  torch::manual_seed(5);
  auto risk = torch::randn({12}, torch::kFloat64).requires_grad_(true);
  auto time = torch::randint(1, 5, {12}).to(torch::kFloat64);  // many ties
  auto event = torch::randint(0, 2, {12}, torch::kInt64);
  auto weights = torch::rand({12}, torch::kFloat64) + 0.5;
  auto loss = cox_loss(risk, time, event, weights);
  loss.backward();
  const double eps = 1e-6;
  for (std::int64_t i = 0; i < 12; ++i) {
    auto up = risk.detach().clone(), down = risk.detach().clone();
    up[i] += eps;
    down[i] -= eps;
    const double numeric = (value(cox_loss(up, time, event, weights)) -
                            value(cox_loss(down, time, event, weights))) / (2 * eps);
    EXPECT_NEAR(risk.grad()[i].item<double>(), numeric, 1e-6) << i;
  }
}

TEST(Losses, CoxWithoutEventsIsZero) {
  auto risk = torch::randn({3}).requires_grad_(true);
  auto loss = cox_loss(risk, floats({1, 2, 3}), ints({0, 0, 0}), torch::ones({3}));
  loss.backward();
  EXPECT_EQ(value(loss), 0.0);
  EXPECT_EQ(risk.grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace galien
