#include "datasets/epoch_plan.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/random.h"

namespace galien {

EpochPlan::EpochPlan(std::vector<std::int64_t> shard_sizes, int world_size, int rank,
                     std::int64_t global_batch, std::uint64_t seed, std::uint64_t epoch)
    : ownership_(shard_sizes, world_size), epoch_(epoch), world_size_(world_size), rank_(rank),
      global_batch_(global_batch) {
  const int num_shards = static_cast<int>(shard_sizes.size());
  GALIEN_CHECK(global_batch > 0, "global batch " << global_batch);

  std::vector<std::vector<std::int64_t>> orders(static_cast<std::size_t>(num_shards));
  std::int64_t longest = 0;
  for (int s = 0; s < num_shards; ++s) {
    auto& order = orders[static_cast<std::size_t>(s)];
    order.resize(static_cast<std::size_t>(shard_sizes[static_cast<std::size_t>(s)]));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(mix_seed(seed, epoch, static_cast<std::uint64_t>(s)));
    deterministic_shuffle(order, rng);
    longest = std::max<std::int64_t>(longest, static_cast<std::int64_t>(order.size()));
  }
  for (std::int64_t i = 0; i < longest; ++i)
    for (int s = 0; s < num_shards; ++s)
      if (i < static_cast<std::int64_t>(orders[static_cast<std::size_t>(s)].size()))
        stream_.push_back({s, orders[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)]});
  const auto total = static_cast<std::int64_t>(stream_.size());
  num_batches_ = (total + global_batch - 1) / global_batch;
}

std::int64_t EpochPlan::global_real(std::int64_t b) const {
  GALIEN_CHECK(b >= 0 && b < num_batches_, "batch " << b << " of " << num_batches_);
  return std::min(global_batch_, static_cast<std::int64_t>(stream_.size()) - b * global_batch_);
}

RankBatch EpochPlan::batch(std::int64_t b) const {
  GALIEN_CHECK(b >= 0 && b < num_batches_, "batch " << b << " of " << num_batches_);
  const auto begin = static_cast<std::size_t>(b * global_batch_);
  const auto end = std::min(stream_.size(), static_cast<std::size_t>((b + 1) * global_batch_));
  std::vector<std::int64_t> per_rank(static_cast<std::size_t>(world_size_), 0);
  RankBatch out;
  out.epoch = epoch_;
  for (std::size_t i = begin; i < end; ++i) {
    const int owner = ownership_.owner(stream_[i]);
    ++per_rank[static_cast<std::size_t>(owner)];
    if (owner == rank_) out.samples.push_back(stream_[i]);
  }
  out.num_real = static_cast<std::int64_t>(out.samples.size());
  out.global_real = static_cast<std::int64_t>(end - begin);
  const std::int64_t padded = *std::max_element(per_rank.begin(), per_rank.end());
  // Pad with one of this rank's own samples; its weight is zero.
  const SampleRef filler = out.samples.empty() ? ownership_.first_of(rank_) : out.samples.front();
  while (static_cast<std::int64_t>(out.samples.size()) < padded) out.samples.push_back(filler);
  return out;
}

}  // namespace galien
