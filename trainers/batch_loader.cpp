#include "trainers/batch_loader.h"

#include <torch/torch.h>

#include "core/error.h"

namespace galien {

Batch load_batch(const RankShards& shards, const RankBatch& part, bool pin) {
  const auto n = static_cast<std::int64_t>(part.samples.size());
  auto options = torch::TensorOptions().pinned_memory(pin);
  Batch batch{torch::empty({n, shards.num_features()}, options.dtype(torch::kFloat32)),
              torch::empty({n}, options.dtype(torch::kInt64)),
              torch::zeros({n}, options.dtype(torch::kFloat32)), part.num_real, part.global_real};
  shards.gather(part.samples, batch.features.data_ptr<float>(),
                batch.labels.data_ptr<std::int64_t>());
  batch.weights.narrow(0, 0, part.num_real).fill_(1.0f);
  return batch;
}

BatchLoader::BatchLoader(const RankShards& shards, const EpochPlan& plan, std::int64_t first_batch,
                         int prefetch, torch::Device device)
    : shards_(shards),
      plan_(plan),
      next_produced_(first_batch),
      next_consumed_(first_batch),
      prefetch_(prefetch),
      device_(device) {
  if (prefetch_ > 0) thread_ = std::thread([this] { produce(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BatchLoader::produce() {
  try {
    while (true) {
      std::int64_t b;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] {
          return stopping_ || static_cast<int>(queue_.size()) < prefetch_;
        });
        if (stopping_ || next_produced_ >= plan_.num_batches()) return;
        b = next_produced_++;
      }
      Batch batch = load_batch(shards_, plan_.batch(b), device_.is_cuda());
      {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(batch));
      }
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
    changed_.notify_all();
  }
}

Batch BatchLoader::next() {
  GALIEN_CHECK(next_consumed_ < plan_.num_batches(), "no batch left in this epoch");
  Batch batch;
  if (prefetch_ == 0) {
    batch = load_batch(shards_, plan_.batch(next_consumed_), device_.is_cuda());
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty() || error_; });
    if (queue_.empty()) std::rethrow_exception(error_);
    batch = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
  }
  ++next_consumed_;
  if (!device_.is_cpu()) {
    batch.features = batch.features.to(device_, /*non_blocking=*/true);
    batch.labels = batch.labels.to(device_, true);
    batch.weights = batch.weights.to(device_, true);
  }
  return batch;
}

}  // namespace galien
