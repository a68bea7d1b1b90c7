#include "trainers/loop/evaluate.h"

#include <torch/types.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "trainers/loop/batch_loader.h"

namespace galien {
namespace {

// Samples per forward pass: about 64 MB of input, at least one sample.
std::size_t chunk_size(const TaskSpec& spec, std::int64_t num_features) {
  const std::int64_t per_sample = std::max<std::int64_t>(1, spec.image_values() + num_features);
  return static_cast<std::size_t>(std::clamp<std::int64_t>((16 << 20) / per_sample, 1, 4096));
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

Evaluation evaluate_split(Model& model, const RankShards& shards, const TrainingTask& task,
                          const Comm& comm, torch::Device device) {
  torch::NoGradGuard no_grad;
  model.eval();
  const auto samples = shards.all_owned_samples();
  const std::size_t chunk = chunk_size(task.spec(), shards.num_features());
  EvalValues mine;  // this rank's per-sample values, the task's columns
  mine.floats.resize(static_cast<std::size_t>(task.eval_columns()));
  const bool done = task.evaluate_samples(model, shards, samples, device, mine);
  for (std::size_t begin = 0; !done && begin < samples.size(); begin += chunk) {
    RankBatch part;
    part.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(begin),
                        samples.begin() + static_cast<std::ptrdiff_t>(
                                              std::min(samples.size(), begin + chunk)));
    part.num_real = static_cast<std::int64_t>(part.samples.size());
    Batch batch = load_batch(shards, part, task);
    task.collect(predict_batch(model, batch, device), batch, mine);
  }
  model.train();
  std::vector<std::string> pseudonyms;
  if (!samples.empty()) pseudonyms = shards.pseudonyms(samples);
  Evaluation result;
  result.predictions.pseudonyms = gather_pseudonyms(pseudonyms, comm);
  EvalValues all;
  for (const auto& column : mine.floats) all.floats.push_back(comm.gather(column, 0));
  all.ints = comm.gather(mine.ints, 0);
  if (!comm.is_root()) return {};
  task.summarise(all, result);
  return result;
}

}  // namespace galien
