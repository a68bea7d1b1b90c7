#include "models/losses.h"

#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace galien {
namespace {

// Indices of the samples that count (weight > 0). Selecting them before any arithmetic, rather
// than multiplying their terms by 0, keeps padding out entirely: 0 * NaN and 0 * inf are NaN.
torch::Tensor counted_rows(const torch::Tensor& weights, std::int64_t n) {
  GALIEN_CHECK(weights.dim() == 1 && weights.size(0) == n,
               "weights " << weights.sizes() << " for " << n << " samples");
  GALIEN_CHECK(n == 0 || weights.min().item<double>() >= 0, "negative sample weight");
  return torch::nonzero(weights > 0).reshape({-1});
}

// sum_i weights_i * terms(rows_i), over the counted rows only.
template <class Terms>
torch::Tensor weighted_sum(const torch::Tensor& weights, std::int64_t n, Terms terms) {
  const torch::Tensor rows = counted_rows(weights, n);
  const torch::Tensor t = terms(rows);
  return (t * weights.index_select(0, rows).to(t.scalar_type())).sum();
}

void check_labels(const torch::Tensor& labels, std::int64_t num_classes) {
  GALIEN_CHECK(labels.scalar_type() == torch::kInt64, "labels must be int64");
  if (labels.numel() == 0) return;
  const auto low = labels.min().item<std::int64_t>(), high = labels.max().item<std::int64_t>();
  GALIEN_CHECK(low >= 0 && high < num_classes,
               "labels in [" << low << ", " << high << "] for " << num_classes << " classes");
}

void check_class_vector(const torch::Tensor& values, std::int64_t num_classes, const char* what) {
  if (values.defined())
    GALIEN_CHECK(values.dim() == 1 && values.size(0) == num_classes,
                 what << " " << values.sizes() << " for " << num_classes << " classes");
}

// log softmax(logits)[label] along axis 1, for [N, K, ...] logits and [N, ...] labels.
torch::Tensor label_log_probability(const torch::Tensor& logits, const torch::Tensor& labels) {
  return torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
}

// Per-class factor (class weights, focal alpha) of each sample's label; undefined = 1.
torch::Tensor per_label(const torch::Tensor& factors, const torch::Tensor& labels,
                        const torch::Tensor& like) {
  return factors.defined() ? factors.to(like.options()).index_select(0, labels)
                           : torch::ones_like(like);
}

namespace F = torch::nn::functional;

// The cross entropy of galien, per sample (or voxel) or summed: -cw[y] * log softmax(z)[y] along
// axis 1, for logits [N, K, ...] and labels [N, ...], as LibTorch's fused cross_entropy.
torch::Tensor cross_entropy_values(const torch::Tensor& logits, const torch::Tensor& labels,
                                   const torch::Tensor& class_weights, bool sum) {
  auto options = F::CrossEntropyFuncOptions();
  if (sum)
    options = options.reduction(torch::kSum);
  else
    options = options.reduction(torch::kNone);
  if (class_weights.defined()) options = options.weight(class_weights.to(logits.device()));
  return F::cross_entropy(logits, labels, options);
}

}  // namespace

torch::Tensor cross_entropy_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                  const torch::Tensor& class_weights) {
  GALIEN_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0),
               "cross entropy of logits " << logits.sizes() << ", labels " << labels.sizes());
  check_labels(labels, logits.size(1));
  check_class_vector(class_weights, logits.size(1), "class weights");
  return cross_entropy_values(logits, labels, class_weights, /*sum=*/false);
}

torch::Tensor cross_entropy_sum(const torch::Tensor& logits, const torch::Tensor& labels,
                                const torch::Tensor& weights, const torch::Tensor& class_weights) {
  if (!weights.defined()) return cross_entropy_values(logits, labels, class_weights, /*sum=*/true);
  return (cross_entropy_values(logits, labels, class_weights, /*sum=*/false) * weights).sum();
}

torch::Tensor cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                                 const torch::Tensor& weights,
                                 const torch::Tensor& class_weights) {
  return weighted_sum(weights, logits.size(0), [&](const torch::Tensor& rows) {
    return cross_entropy_terms(logits.index_select(0, rows), labels.index_select(0, rows),
                               class_weights);
  });
}

torch::Tensor bce_terms(const torch::Tensor& logits, const torch::Tensor& targets,
                        const torch::Tensor& pos_weight) {
  GALIEN_CHECK(logits.dim() == 2 && targets.sizes() == logits.sizes(),
               "BCE of logits " << logits.sizes() << ", targets " << targets.sizes());
  check_class_vector(pos_weight, logits.size(1), "pos_weight");
  c10::optional<torch::Tensor> positive;
  if (pos_weight.defined()) positive = pos_weight.to(logits.options());
  return torch::binary_cross_entropy_with_logits(logits, targets.to(logits.options()),
                                                 c10::nullopt, positive, at::Reduction::None)
      .mean(1);
}

torch::Tensor bce_loss(const torch::Tensor& logits, const torch::Tensor& targets,
                       const torch::Tensor& weights, const torch::Tensor& pos_weight) {
  return weighted_sum(weights, logits.size(0), [&](const torch::Tensor& rows) {
    return bce_terms(logits.index_select(0, rows), targets.index_select(0, rows), pos_weight);
  });
}

torch::Tensor squared_error_terms(const torch::Tensor& prediction, const torch::Tensor& target) {
  return (prediction.reshape({-1}) - target).pow(2);
}

torch::Tensor focal_terms(const torch::Tensor& logits, const torch::Tensor& labels, double gamma,
                          const torch::Tensor& alpha) {
  GALIEN_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0),
               "focal loss of logits " << logits.sizes() << ", labels " << labels.sizes());
  GALIEN_CHECK(gamma >= 0, "focal gamma " << gamma);
  check_labels(labels, logits.size(1));
  check_class_vector(alpha, logits.size(1), "focal alpha");
  const torch::Tensor log_p = label_log_probability(logits, labels);
  torch::Tensor terms = -log_p * per_label(alpha, labels, log_p);
  // gamma = 0 is cross entropy; skipping pow(., 0) also avoids its 0 * inf gradient at p = 1.
  if (gamma > 0) terms = terms * torch::pow(1 - torch::exp(log_p), gamma);
  return terms;
}

torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                         const torch::Tensor& weights, double gamma, const torch::Tensor& alpha) {
  return weighted_sum(weights, logits.size(0), [&](const torch::Tensor& rows) {
    return focal_terms(logits.index_select(0, rows), labels.index_select(0, rows), gamma, alpha);
  });
}

namespace {

void check_dense(const torch::Tensor& logits, const torch::Tensor& labels, const char* what) {
  GALIEN_CHECK(logits.dim() >= 3 && labels.dim() == logits.dim() - 1 &&
                   labels.size(0) == logits.size(0) &&
                   labels.sizes().slice(1) == logits.sizes().slice(2),
               what << " of logits " << logits.sizes() << ", labels " << labels.sizes());
}

}  // namespace

torch::Tensor dense_cross_entropy_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                        const torch::Tensor& class_weights) {
  check_dense(logits, labels, "dense cross entropy");
  check_class_vector(class_weights, logits.size(1), "class weights");
  return cross_entropy_values(logits, labels, class_weights, /*sum=*/false).flatten(1).mean(1);
}

torch::Tensor dense_focal_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                                double gamma, const torch::Tensor& alpha) {
  check_dense(logits, labels, "dense focal loss");
  // Voxels as samples: [N, K, V] -> [N * V, K], then the per-voxel terms averaged per sample.
  const std::int64_t n = logits.size(0), k = logits.size(1);
  const torch::Tensor voxels = logits.reshape({n, k, -1}).transpose(1, 2).reshape({-1, k});
  return focal_terms(voxels, labels.reshape({-1}), gamma, alpha).reshape({n, -1}).mean(1);
}

torch::Tensor dice_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                         const DiceOptions& options) {
  GALIEN_CHECK(logits.dim() >= 3 && labels.dim() == logits.dim() - 1 &&
                   labels.size(0) == logits.size(0) &&
                   labels.sizes().slice(1) == logits.sizes().slice(2),
               "Dice of logits " << logits.sizes() << ", labels " << labels.sizes());
  const std::int64_t classes = logits.size(1);
  GALIEN_CHECK(classes >= 2, "soft Dice over a softmax needs 2+ classes, got " << classes);
  check_labels(labels, classes);
  const torch::Tensor probs = torch::softmax(logits, 1);
  const torch::Tensor truth = torch::one_hot(labels, classes).movedim(-1, 1).to(probs.options());
  std::vector<std::int64_t> spatial(static_cast<std::size_t>(logits.dim() - 2));
  std::iota(spatial.begin(), spatial.end(), 2);
  const torch::Tensor overlap = (probs * truth).sum(spatial);         // [N, K]
  const torch::Tensor total = probs.sum(spatial) + truth.sum(spatial);
  torch::Tensor dice = (2 * overlap + options.smooth) / (total + options.smooth);
  if (!options.include_background) dice = dice.narrow(1, 1, classes - 1);
  return 1 - dice.mean(1);
}

torch::Tensor dice_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                        const torch::Tensor& weights, const DiceOptions& options) {
  return weighted_sum(weights, logits.size(0), [&](const torch::Tensor& rows) {
    return dice_terms(logits.index_select(0, rows), labels.index_select(0, rows), options);
  });
}

torch::Tensor dice_ce_terms(const torch::Tensor& logits, const torch::Tensor& labels,
                            const DiceCeOptions& options) {
  const torch::Tensor dice = dice_terms(logits, labels, options.dice);
  // Mean cross entropy over the sample's voxels.
  const torch::Tensor ce = cross_entropy_values(logits, labels, {}, /*sum=*/false).flatten(1).mean(1);
  return options.dice_weight * dice + options.ce_weight * ce;
}

torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& labels,
                           const torch::Tensor& weights, const DiceCeOptions& options) {
  return weighted_sum(weights, logits.size(0), [&](const torch::Tensor& rows) {
    return dice_ce_terms(logits.index_select(0, rows), labels.index_select(0, rows), options);
  });
}

namespace {

// The bookkeeping of a Cox likelihood, from times, events and weights only (no gradient flows
// through it): samples sorted by decreasing time, grouped by equal time, so that the risk set
// of group g is groups 0..g.
struct CoxGroups {
  std::vector<std::int64_t> order;   // sample indices, decreasing time
  std::vector<std::int64_t> group;   // group of each sorted sample
  std::vector<double> event;         // 0/1 of each sorted sample
  std::vector<double> weight;        // weight of each sorted sample
  std::vector<std::int64_t> deaths;  // events per group
  std::vector<double> death_weight;  // sum of the events' weights per group
};

CoxGroups group_by_time(const std::vector<double>& time, const std::vector<double>& event,
                        const std::vector<double>& weight) {
  CoxGroups g;
  g.order.resize(time.size());
  std::iota(g.order.begin(), g.order.end(), 0);
  std::stable_sort(g.order.begin(), g.order.end(),
                   [&](std::int64_t a, std::int64_t b) { return time[a] > time[b]; });
  for (std::size_t k = 0; k < g.order.size(); ++k) {
    const auto i = static_cast<std::size_t>(g.order[k]);
    if (k == 0 || time[i] != time[static_cast<std::size_t>(g.order[k - 1])]) {
      g.deaths.push_back(0);
      g.death_weight.push_back(0.0);
    }
    g.group.push_back(static_cast<std::int64_t>(g.deaths.size()) - 1);
    g.event.push_back(event[i] != 0 ? 1.0 : 0.0);
    g.weight.push_back(weight[i]);
    if (event[i] != 0) {
      ++g.deaths.back();
      g.death_weight.back() += weight[i];
    }
  }
  return g;
}

std::vector<double> to_doubles(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor doubles_on(const std::vector<double>& v, const torch::Device& device) {
  return torch::tensor(v, torch::dtype(torch::kFloat64)).to(device);
}

torch::Tensor indices_on(const std::vector<std::int64_t>& v, const torch::Device& device) {
  return torch::tensor(v, torch::dtype(torch::kInt64)).to(device);
}

// sum over event groups of m_g * sum_k log(S_g - (k/d_g) T_g) (Efron), or m_g d_g log S_g.
torch::Tensor cox_denominator(const CoxGroups& g, const torch::Tensor& risk_set_sum,
                              const torch::Tensor& tied_sum, CoxTies ties,
                              const torch::Device& device) {
  std::vector<std::int64_t> at;
  std::vector<double> fraction, factor;
  for (std::size_t grp = 0; grp < g.deaths.size(); ++grp) {
    const std::int64_t d = g.deaths[grp];
    if (d == 0) continue;
    const double mean_weight = g.death_weight[grp] / static_cast<double>(d);
    if (ties == CoxTies::kBreslow) {
      at.push_back(static_cast<std::int64_t>(grp));
      fraction.push_back(0.0);
      factor.push_back(mean_weight * static_cast<double>(d));
      continue;
    }
    for (std::int64_t k = 0; k < d; ++k) {
      at.push_back(static_cast<std::int64_t>(grp));
      fraction.push_back(static_cast<double>(k) / static_cast<double>(d));
      factor.push_back(mean_weight);
    }
  }
  const torch::Tensor index = indices_on(at, device);
  const torch::Tensor s = risk_set_sum.index_select(0, index);
  const torch::Tensor t = tied_sum.index_select(0, index);
  return (doubles_on(factor, device) * torch::log(s - doubles_on(fraction, device) * t)).sum();
}

}  // namespace

torch::Tensor cox_loss(const torch::Tensor& risk, const torch::Tensor& time,
                       const torch::Tensor& event, const torch::Tensor& weights, CoxTies ties) {
  const torch::Tensor flat = risk.reshape({-1});
  const std::int64_t n = flat.size(0);
  GALIEN_CHECK(time.numel() == n && event.numel() == n,
               "Cox loss of " << n << " risks, " << time.numel() << " times, " << event.numel()
               << " events");
  const torch::Tensor rows = counted_rows(weights.reshape({-1}), n);
  const torch::Device device = flat.device();
  const CoxGroups g = group_by_time(to_doubles(time.reshape({-1}).index_select(0, rows)),
                                    to_doubles(event.reshape({-1}).index_select(0, rows)),
                                    to_doubles(weights.reshape({-1}).index_select(0, rows)));
  // Log-risks in decreasing-time order, in double: the Efron differences S - (k/d) T lose
  // precision in float when a risk set is large.
  const torch::Tensor h =
      flat.index_select(0, rows).to(torch::kFloat64).index_select(0, indices_on(g.order, device));
  const bool any_event =
      std::any_of(g.deaths.begin(), g.deaths.end(), [](std::int64_t d) { return d > 0; });
  if (!any_event) return (h.sum() * 0.0).to(risk.scalar_type());  // keeps the graph connected

  const torch::Tensor w = doubles_on(g.weight, device), e = doubles_on(g.event, device);
  const torch::Tensor shifted = h - h.max().detach();  // exp() cannot overflow; cancels below
  const torch::Tensor x = w * torch::exp(shifted);
  const torch::Tensor group = indices_on(g.group, device);
  const auto groups = static_cast<std::int64_t>(g.deaths.size());
  const torch::Tensor zeros = torch::zeros({groups}, h.options());
  const torch::Tensor risk_set_sum = zeros.index_add(0, group, x).cumsum(0);
  const torch::Tensor tied_sum = zeros.index_add(0, group, x * e);
  const torch::Tensor numerator = (w * e * shifted).sum();
  const torch::Tensor loss =
      cox_denominator(g, risk_set_sum, tied_sum, ties, device) - numerator;
  return loss.to(risk.scalar_type());
}

}  // namespace galien
