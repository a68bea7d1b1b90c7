#include "trainers/task_loss.h"

#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include "models/losses.h"

namespace galien {

namespace F = torch::nn::functional;

TaskLoss::TaskLoss(const TaskSpec& spec, torch::Tensor class_weights, const Comm& comm)
    : spec_(spec), class_weights_(std::move(class_weights)), comm_(comm) {}

torch::Tensor standardise_target(const torch::Tensor& target, const TaskSpec& spec) {
  return (target - spec.target_mean) / spec.target_std;
}

StepLoss TaskLoss::operator()(const torch::Tensor& output, const Batch& batch, double normaliser,
                              int micro_batches) const {
  if (spec_.task == Task::kSurvival) return cox(output, batch, micro_batches);
  const bool padded = batch.num_real < batch.weights.size(0);
  torch::Tensor sum;
  if (spec_.task == Task::kClassification) {
    // Without padding one fused op gives the sum (a small model's step is dominated by the
    // number of ops, not their size); padded samples need per-sample weights.
    auto options = F::CrossEntropyFuncOptions();
    if (padded)
      options = options.reduction(torch::kNone);
    else
      options = options.reduction(torch::kSum);
    if (class_weights_.defined()) options = options.weight(class_weights_);
    sum = F::cross_entropy(output, batch.labels, options);
    if (padded) sum = (sum * batch.weights).sum();
  } else {
    auto per_sample = (output.reshape({-1}) - standardise_target(batch.target, spec_)).pow(2);
    sum = padded ? (per_sample * batch.weights).sum() : per_sample.sum();
  }
  return {sum / normaliser, sum.detach(), static_cast<double>(batch.num_real)};
}

StepLoss TaskLoss::cox(const torch::Tensor& output, const Batch& batch, int micro_batches) const {
  auto risk = output.reshape({-1});
  const auto n = risk.size(0);
  torch::Tensor all_risk, time, event, weights;
  if (comm_.size() == 1) {
    all_risk = risk;
    time = batch.time;
    event = batch.event;
    weights = batch.weights;
  } else {
    // One exchange of [risk, time, event, weight] per sample; padding has weight 0.
    auto packed = torch::stack({risk.detach().to(torch::kFloat32), batch.time, batch.event,
                                batch.weights}, 1).to(torch::kCPU).contiguous();
    std::vector<float> mine(packed.data_ptr<float>(), packed.data_ptr<float>() + packed.numel());
    std::vector<std::int64_t> offsets;
    auto all = comm_.allgather(mine, &offsets);
    const auto total = static_cast<std::int64_t>(all.size()) / 4;
    auto gathered = torch::from_blob(all.data(), {total, 4}, torch::kFloat32).clone().to(risk.device());
    const std::int64_t begin = offsets[static_cast<std::size_t>(comm_.rank())] / 4;
    // Only this rank's log-risks carry gradients; the others enter as constants.
    all_risk = torch::cat({gathered.select(1, 0).narrow(0, 0, begin).to(risk.dtype()), risk,
                           gathered.select(1, 0).narrow(0, begin + n, total - begin - n).to(risk.dtype())});
    time = gathered.select(1, 1);
    event = gathered.select(1, 2);
    weights = gathered.select(1, 3);
  }
  auto nll = cox_loss(all_risk, time, event, weights);
  const double events = (event * weights).sum().item<double>();
  // No event in this global batch: no information, but the graph still reaches every parameter
  // so that every rank's gradient hooks fire alike.
  auto objective = events > 0 ? nll / (events * micro_batches) : risk.sum() * 0.0;
  // Every rank holds the same global value: rank 0 reports it, once.
  const bool root = comm_.is_root();
  return {objective, root ? nll.detach() : torch::zeros({}, risk.options()), root ? events : 0.0};
}

}  // namespace galien
