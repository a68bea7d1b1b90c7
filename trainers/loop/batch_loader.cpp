#include "trainers/loop/batch_loader.h"

#include <torch/types.h>

#include "core/error.h"
#include "trainers/tasks/task.h"

namespace galien {

Batch load_batch(const RankShards& shards, const RankBatch& part, const TrainingTask& task,
                 bool pin) {
  const TaskSpec& spec = task.spec();
  const auto n = static_cast<std::int64_t>(part.samples.size());
  auto options = torch::TensorOptions().pinned_memory(pin);
  const auto f32 = options.dtype(torch::kFloat32);
  Batch batch;
  batch.num_real = part.num_real;
  batch.global_real = part.global_real;
  // Labels come with the features in one pass over the table (zero features for image-only data).
  batch.labels = torch::empty({n}, options.dtype(torch::kInt64));
  auto features = torch::empty({n, shards.num_features()}, f32);
  shards.gather(part.samples, features.data_ptr<float>(), batch.labels.data_ptr<std::int64_t>());
  if (spec.has_features) batch.features = features;
  if (!spec.image.empty() && task.reads_whole_images()) {
    std::vector<std::int64_t> sizes{n};
    sizes.insert(sizes.end(), spec.image.begin(), spec.image.end());
    batch.image = torch::empty(sizes, f32);
    shards.gather_images(part.samples, batch.image.data_ptr<float>());
  }
  task.load_fields(shards, part, batch, options);
  batch.weights = torch::zeros({n}, f32);
  batch.weights.narrow(0, 0, part.num_real).fill_(1.0f);
  return batch;
}

Batch Batch::to(torch::Device device) const {
  auto move = [&](const torch::Tensor& t) {
    return t.defined() ? t.to(device, /*non_blocking=*/true) : t;
  };
  Batch moved = *this;
  moved.features = move(features);
  moved.image = move(image);
  moved.labels = move(labels);
  moved.time = move(time);
  moved.event = move(event);
  moved.target = move(target);
  moved.mask = move(mask);
  moved.weights = move(weights);
  return moved;
}

BatchLoader::BatchLoader(const RankShards& shards, const EpochPlan& plan, const TrainingTask& task,
                         std::int64_t first_batch, int prefetch, torch::Device device,
                         BatchTransform transform)
    : shards_(shards),
      plan_(plan),
      task_(task),
      transform_(std::move(transform)),
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
      Batch batch = load(b);
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

Batch BatchLoader::load(std::int64_t b) const {
  const RankBatch part = plan_.batch(b);
  Batch batch = load_batch(shards_, part, task_, device_.is_cuda());
  if (transform_) transform_(batch, part);
  return batch;
}

Batch BatchLoader::next() {
  GALIEN_CHECK(next_consumed_ < plan_.num_batches(), "no batch left in this epoch");
  Batch batch;
  if (prefetch_ == 0) {
    batch = load(next_consumed_);
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty() || error_; });
    if (queue_.empty()) std::rethrow_exception(error_);
    batch = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
  }
  ++next_consumed_;
  return device_.is_cpu() ? batch : batch.to(device_);
}

}  // namespace galien
