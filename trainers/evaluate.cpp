#include "trainers/evaluate.h"

#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include "trainers/batch_loader.h"
#include "trainers/metrics.h"

namespace galien {

std::map<std::string, double> evaluate_split(Model& model, const RankShards& shards,
                                             int num_classes, const Comm& comm,
                                             torch::Device device,
                                             const torch::Tensor& class_weights) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<float> probabilities, losses;
  std::vector<std::int64_t> labels;
  const auto samples = shards.all_owned_samples();
  constexpr std::size_t kChunk = 4096;
  namespace F = torch::nn::functional;
  auto options = F::CrossEntropyFuncOptions().reduction(torch::kNone);
  if (class_weights.defined()) options = options.weight(class_weights);
  for (std::size_t begin = 0; begin < samples.size(); begin += kChunk) {
    RankBatch part;
    part.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(begin),
                        samples.begin() + static_cast<std::ptrdiff_t>(
                                              std::min(samples.size(), begin + kChunk)));
    part.num_real = static_cast<std::int64_t>(part.samples.size());
    Batch batch = load_batch(shards, part);
    auto logits = model.forward(batch.features.to(device)).to(torch::kCPU, torch::kFloat32);
    auto loss = F::cross_entropy(logits, batch.labels, options).contiguous();
    auto prob = torch::softmax(logits, 1).contiguous();
    probabilities.insert(probabilities.end(), prob.data_ptr<float>(),
                         prob.data_ptr<float>() + prob.numel());
    losses.insert(losses.end(), loss.data_ptr<float>(), loss.data_ptr<float>() + loss.numel());
    labels.insert(labels.end(), batch.labels.data_ptr<std::int64_t>(),
                  batch.labels.data_ptr<std::int64_t>() + batch.labels.numel());
  }
  model.train();
  auto all_probabilities = comm.gather(probabilities, 0);
  auto all_losses = comm.gather(losses, 0);
  auto all_labels = comm.gather(labels, 0);
  if (!comm.is_root()) return {};
  return classification_metrics(all_probabilities, all_labels, all_losses, num_classes);
}

}  // namespace galien
