#include "trainers/trainer.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/log.h"
#include "datasets/epoch_plan.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "models/registry.h"
#include "trainers/checkpoint.h"
#include "trainers/gradient_sync.h"
#include "trainers/metrics.h"
#include "trainers/run_card.h"
#include "trainers/run_dir.h"
#include "trainers/threads.h"

namespace galien {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Every rank must run the same config on the same data; otherwise collectives would pair up
// different things and hang or silently diverge. Names the ranks that differ.
void check_ranks_agree(const Comm& comm, const std::string& what, const std::string& value) {
  const auto values = comm.allgather(value);
  std::string differing;
  for (int r = 0; r < comm.size(); ++r)
    if (values[static_cast<std::size_t>(r)] != values[0])
      differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  if (!differing.empty())
    GALIEN_USER_ERROR("ranks disagree on the " << what << ": rank(s) " << differing
                      << " differ from rank 0; start every rank with the same config and data");
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimConfig& config,
                                                        const std::vector<torch::Tensor>& params) {
  if (config.name == "adam")
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  if (config.name == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(config.learning_rate)
                    .momentum(config.momentum)
                    .nesterov(config.nesterov)
                    .weight_decay(config.weight_decay));
  GALIEN_USER_ERROR("optim.name '" << config.name << "' is not one of adam, sgd");
}

struct Batch {
  torch::Tensor features, labels, weights;
};

Batch load_batch(const RankShards& shards, const RankBatch& plan) {
  const auto n = static_cast<std::int64_t>(plan.samples.size());
  Batch batch{torch::empty({n, shards.num_features()}, torch::kFloat32),
              torch::empty({n}, torch::kInt64), torch::zeros({n}, torch::kFloat32)};
  shards.gather(plan.samples, batch.features.data_ptr<float>(), batch.labels.data_ptr<std::int64_t>());
  batch.weights.narrow(0, 0, plan.num_real).fill_(1.0f);
  return batch;
}

// Exact metrics of one split: every rank predicts its own samples, rank 0 gathers all of them.
// Returns the metrics on rank 0 and an empty map elsewhere.
std::map<std::string, double> evaluate(Model& model, const RankShards& shards, int num_classes,
                                       const Comm& comm) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<float> probabilities, losses;
  std::vector<std::int64_t> labels;
  const auto samples = shards.all_owned_samples();
  constexpr std::size_t kChunk = 4096;
  for (std::size_t begin = 0; begin < samples.size(); begin += kChunk) {
    RankBatch part;
    part.samples.assign(samples.begin() + static_cast<std::ptrdiff_t>(begin),
                        samples.begin() + static_cast<std::ptrdiff_t>(
                                              std::min(samples.size(), begin + kChunk)));
    part.num_real = static_cast<std::int64_t>(part.samples.size());
    Batch batch = load_batch(shards, part);
    auto logits = model.forward(batch.features);
    auto loss = torch::nn::functional::cross_entropy(
        logits, batch.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto prob = torch::softmax(logits, 1).contiguous();
    probabilities.insert(probabilities.end(), prob.data_ptr<float>(), prob.data_ptr<float>() + prob.numel());
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

std::vector<float> flatten_parameters(Model& model) {
  std::vector<float> flat;
  for (const auto& p : model.parameters()) {
    auto values = p.detach().reshape({-1}).contiguous();
    flat.insert(flat.end(), values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return flat;
}

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

void add_split_metrics(nlohmann::json& record, const std::string& split,
                       const std::map<std::string, double>& metrics) {
  for (const auto& [name, value] : metrics)
    record[split + "/" + name] = std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
}

bool has_split(const Manifest& manifest, const std::string& split) {
  auto it = manifest.splits.find(split);
  return it != manifest.splits.end() && !it->second.shards.empty();
}

}  // namespace

TrainResult train(const Config& config, const Comm& comm) {
  const auto start = Clock::now();
  const TrainerConfig& tc = config.trainer;
  if (config.data.shard_dir.empty())
    GALIEN_USER_ERROR(config.source_file << ": data.shard_dir is not set; it must name the output "
                      << "of `galien shard`");
  if (tc.batch_size < comm.size())
    GALIEN_USER_ERROR("trainer.batch_size " << tc.batch_size << " is the global batch and must be "
                      << "at least the number of ranks (" << comm.size() << ")");

  const int threads = choose_threads(tc.threads, comm.local_size());
  apply_threads(threads);

  TrainResult result;
  result.run_dir = comm.is_root() ? resolve_run_dir(config) : std::string();
  comm.broadcast(result.run_dir, 0);

  const Manifest manifest = load_manifest(config.data.shard_dir);
  const std::string manifest_hash = manifest_sha256(config.data.shard_dir);
  check_ranks_agree(comm, "resolved config (SHA-256)", config.sha256);
  check_ranks_agree(comm, "data manifest (SHA-256)", manifest_hash);

  const int num_classes = static_cast<int>(manifest.classes.size());
  RankShards train_data(config.data.shard_dir, manifest, "train", comm.size(), comm.rank());
  std::unique_ptr<RankShards> val_data, test_data;
  if (has_split(manifest, "val"))
    val_data = std::make_unique<RankShards>(config.data.shard_dir, manifest, "val", comm.size(), comm.rank());
  if (has_split(manifest, "test"))
    test_data = std::make_unique<RankShards>(config.data.shard_dir, manifest, "test", comm.size(), comm.rank());

  std::unique_ptr<RunDirectory> run;
  if (comm.is_root()) run = std::make_unique<RunDirectory>(result.run_dir, config);

  torch::manual_seed(tc.seed);
  auto model = make_model(config.model, {manifest.num_features(), num_classes});
  FlatGradientSync sync(model->parameters(), comm);
  sync.broadcast_parameters(0);
  auto optimizer = make_optimizer(config.optim, model->parameters());
  check_ranks_agree(comm, "parameter count", std::to_string(sync.num_elements()));

  const std::int64_t train_samples = manifest.splits.at("train").num_samples;
  log::info0("training {} ({} parameters) on {} rank(s) x {} thread(s): {} train samples, global "
             "batch {}, {} epochs -> {}", config.model.name, sync.num_elements(), comm.size(),
             threads, train_samples, tc.batch_size, tc.epochs, result.run_dir);

  StepTimings timings;
  std::int64_t step = 0;
  std::map<std::string, double> val_metrics;
  for (int epoch = 0; epoch < tc.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    EpochPlan plan(train_data.shard_sizes(), comm.size(), comm.rank(), tc.batch_size, tc.seed,
                   static_cast<std::uint64_t>(epoch));
    double loss_and_count[2] = {0.0, 0.0};
    for (std::int64_t b = 0; b < plan.num_batches(); ++b, ++step) {
      auto t0 = Clock::now();
      const RankBatch part = plan.batch(b);
      Batch batch = load_batch(train_data, part);
      auto t1 = Clock::now();
      auto logits = model->forward(batch.features);
      auto per_sample = torch::nn::functional::cross_entropy(
          logits, batch.labels,
          torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      auto weighted = (per_sample * batch.weights).sum();
      // Divided by the global batch's real count: the SUM over ranks is the global mean.
      auto loss = weighted / static_cast<double>(part.global_real);
      optimizer->zero_grad();
      loss.backward();
      auto t2 = Clock::now();
      sync.allreduce_gradients();
      auto t3 = Clock::now();
      optimizer->step();
      auto t4 = Clock::now();
      timings.add(std::chrono::duration<double>(t1 - t0).count(),
                  std::chrono::duration<double>((t2 - t1) + (t4 - t3)).count(),
                  std::chrono::duration<double>(t3 - t2).count());
      loss_and_count[0] += weighted.item<double>();
      loss_and_count[1] += static_cast<double>(part.num_real);
      if (tc.log_every_steps > 0 && (step + 1) % tc.log_every_steps == 0)
        log::info0("step {} | local loss {:.4f}", step + 1, loss.item<double>() * comm.size());
    }
    comm.allreduce_sum(loss_and_count, 2);
    const double epoch_seconds = seconds_since(epoch_start);
    if (val_data) val_metrics = evaluate(*model, *val_data, num_classes, comm);
    if (comm.is_root()) {
      nlohmann::json record{{"epoch", epoch + 1}, {"step", step},
                            {"train/loss", loss_and_count[0] / loss_and_count[1]},
                            {"samples_per_s", loss_and_count[1] / epoch_seconds},
                            {"time_s", seconds_since(start)}};
      add_split_metrics(record, "val", val_metrics);
      run->append_metrics(record);
      const double eta = seconds_since(start) / (epoch + 1) * (tc.epochs - epoch - 1);
      std::string val_text;
      for (const auto& [name, value] : val_metrics) val_text += fmt::format(" | val/{} {:.4f}", name, value);
      log::info0("epoch {}/{} | train/loss {:.4f}{} | {:.0f} samples/s | ETA {}", epoch + 1,
                 tc.epochs, loss_and_count[0] / loss_and_count[1], val_text,
                 loss_and_count[1] / epoch_seconds, format_duration(eta));
    }
  }

  std::map<std::string, double> test_metrics;
  if (test_data) test_metrics = evaluate(*model, *test_data, num_classes, comm);
  result.parameters = flatten_parameters(*model);

  if (comm.is_root()) {
    save_model_checkpoint(*model, run->checkpoints_dir() + "/final.pt");
    nlohmann::json metrics = nlohmann::json::object();
    add_split_metrics(metrics, "val", val_metrics);
    add_split_metrics(metrics, "test", test_metrics);
    result.summary = {{"status", "completed"},
                      {"world_size", comm.size()},
                      {"epochs_completed", tc.epochs},
                      {"steps", step},
                      {"metrics", metrics},
                      {"config_sha256", config.sha256},
                      {"data_manifest_sha256", manifest_hash},
                      {"checkpoint", "checkpoints/final.pt"},
                      {"time_s", seconds_since(start)},
                      {"timings_ms_per_step", timings.to_json()}};
    run->write_summary(result.summary);
    RunCardInfo card{config, manifest, manifest_hash, comm.size(), threads, result.summary};
    run->write_text("run_card.md", render_run_card(card));
    log::info0("test: {} -> {}", metrics.dump(), result.run_dir);
  }
  return result;
}

}  // namespace galien
