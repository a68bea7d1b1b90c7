#include "trainers/evaluate.h"

#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "models/losses.h"
#include "trainers/batch_loader.h"
#include "trainers/metrics.h"
#include "trainers/task_loss.h"

namespace galien {
namespace {

namespace F = torch::nn::functional;

// Samples per forward pass: about 64 MB of input, at least one sample.
std::size_t chunk_size(const TaskSpec& spec, std::int64_t num_features) {
  const std::int64_t per_sample = std::max<std::int64_t>(1, spec.image_values() + num_features);
  return static_cast<std::size_t>(std::clamp<std::int64_t>((16 << 20) / per_sample, 1, 4096));
}

std::vector<double> to_doubles(const std::vector<float>& values) {
  return {values.begin(), values.end()};
}

// Gathers equal-length pseudonyms (64 hex characters) on rank 0, in rank order.
std::vector<std::string> gather_pseudonyms(const std::vector<std::string>& mine, const Comm& comm) {
  std::string joined;
  for (const auto& p : mine) joined += p + "\n";
  std::vector<std::string> all;
  for (const auto& part : comm.allgather(joined)) {
    std::istringstream lines(part);
    for (std::string line; std::getline(lines, line);) all.push_back(line);
  }
  return all;
}

std::map<std::string, double> survival_metrics(const std::vector<double>& risk,
                                               const std::vector<double>& time,
                                               const std::vector<double>& event) {
  std::vector<std::int64_t> events(event.begin(), event.end());
  const auto n = static_cast<std::int64_t>(risk.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto t_risk = torch::from_blob(const_cast<double*>(risk.data()), {n}, opts);
  auto t_time = torch::from_blob(const_cast<double*>(time.data()), {n}, opts);
  auto t_event = torch::from_blob(const_cast<double*>(event.data()), {n}, opts);
  const double num_events = t_event.sum().item<double>();
  const double nll = cox_loss(t_risk, t_time, t_event, torch::ones({n}, opts)).item<double>();
  return {{"loss", num_events > 0 ? nll / num_events : std::nan("")},
          {"c_index", concordance_index(risk, time, events)},
          {"events", num_events}};
}

std::map<std::string, double> regression_metrics(const std::vector<double>& predicted,
                                                 const std::vector<double>& target,
                                                 const TaskSpec& spec) {
  const double n = static_cast<double>(target.size());
  double mean = 0, sse = 0, sae = 0, sst = 0;
  for (double t : target) mean += t / n;
  for (std::size_t i = 0; i < target.size(); ++i) {
    const double e = predicted[i] - target[i];
    sse += e * e;
    sae += std::abs(e);
    sst += (target[i] - mean) * (target[i] - mean);
  }
  const double mse = sse / n;
  return {{"loss", mse / (spec.target_std * spec.target_std)},
          {"mse", mse},
          {"rmse", std::sqrt(mse)},
          {"mae", sae / n},
          {"r2", sst > 0 ? 1.0 - sse / sst : std::nan("")}};
}

}  // namespace

const std::vector<double>& Predictions::column(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return values[c];
  GALIEN_CHECK(false, "predictions have no column " << name);
  throw;  // unreachable
}

std::string Predictions::to_csv() const {
  std::ostringstream out;
  out.precision(9);
  out << "pseudonym";
  for (const auto& c : columns) out << "," << c;
  out << "\n";
  for (std::size_t r = 0; r < pseudonyms.size(); ++r) {
    out << pseudonyms[r];
    for (const auto& column_values : values) out << "," << column_values[r];
    out << "\n";
  }
  return out.str();
}

torch::Tensor predict_batch(Model& model, const Batch& batch, torch::Device device) {
  Batch on_device = device.is_cpu() ? batch : batch.to(device);
  ModelInputs inputs{on_device.features, on_device.image};
  return model.forward(inputs).to(torch::kCPU, torch::kFloat32).contiguous();
}

Evaluation evaluate_split(Model& model, const RankShards& shards, const TaskSpec& spec,
                          const Comm& comm, torch::Device device,
                          const torch::Tensor& class_weights) {
  torch::NoGradGuard no_grad;
  model.eval();
  const auto samples = shards.all_owned_samples();
  const std::size_t chunk = chunk_size(spec, shards.num_features());
  // Per-sample values of this rank, by task.
  std::vector<float> outputs, losses, first, second;  // first/second: time+event or target
  std::vector<std::int64_t> labels;
  auto ce_options = F::CrossEntropyFuncOptions().reduction(torch::kNone);
  if (class_weights.defined()) ce_options = ce_options.weight(class_weights.to(torch::kCPU));
  auto append = [](std::vector<float>& to, const torch::Tensor& t) {
    auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
    to.insert(to.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  for (std::size_t begin = 0; begin < samples.size(); begin += chunk) {
    RankBatch part;
    part.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(begin),
                        samples.begin() + static_cast<std::ptrdiff_t>(
                                              std::min(samples.size(), begin + chunk)));
    part.num_real = static_cast<std::int64_t>(part.samples.size());
    Batch batch = load_batch(shards, part, spec);
    auto output = predict_batch(model, batch, device);
    if (spec.task == Task::kClassification) {
      append(losses, F::cross_entropy(output, batch.labels, ce_options));
      append(outputs, torch::softmax(output, 1));
      labels.insert(labels.end(), batch.labels.data_ptr<std::int64_t>(),
                    batch.labels.data_ptr<std::int64_t>() + batch.labels.numel());
    } else if (spec.task == Task::kSurvival) {
      append(outputs, output.reshape({-1}));
      append(first, batch.time);
      append(second, batch.event);
    } else {
      append(outputs, output.reshape({-1}) * spec.target_std + spec.target_mean);
      append(first, batch.target);
    }
  }
  model.train();
  std::vector<std::string> mine;
  if (!samples.empty()) mine = shards.pseudonyms(samples);
  Evaluation result;
  result.predictions.pseudonyms = gather_pseudonyms(mine, comm);
  auto all_outputs = comm.gather(outputs, 0);
  auto all_first = comm.gather(first, 0);
  auto all_second = comm.gather(second, 0);
  auto all_losses = comm.gather(losses, 0);
  auto all_labels = comm.gather(labels, 0);
  if (!comm.is_root()) return {};
  Predictions& p = result.predictions;
  if (spec.task == Task::kClassification) {
    result.metrics = classification_metrics(all_outputs, all_labels, all_losses, spec.num_classes);
    p.columns.push_back("label");
    p.values.emplace_back(all_labels.begin(), all_labels.end());
    const auto k = static_cast<std::size_t>(spec.num_classes);
    for (std::size_t c = 0; c < k; ++c) {
      p.columns.push_back("prob_" + std::to_string(c));
      std::vector<double> column;
      for (std::size_t r = c; r < all_outputs.size(); r += k) column.push_back(all_outputs[r]);
      p.values.push_back(std::move(column));
    }
  } else if (spec.task == Task::kSurvival) {
    p.columns = {"risk", "time", "event"};
    p.values = {to_doubles(all_outputs), to_doubles(all_first), to_doubles(all_second)};
    result.metrics = survival_metrics(p.values[0], p.values[1], p.values[2]);
  } else {
    p.columns = {"prediction", "target"};
    p.values = {to_doubles(all_outputs), to_doubles(all_first)};
    result.metrics = regression_metrics(p.values[0], p.values[1], spec);
  }
  return result;
}

}  // namespace galien
