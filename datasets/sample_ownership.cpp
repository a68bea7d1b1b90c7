#include "datasets/sample_ownership.h"

#include <algorithm>

#include "core/error.h"

namespace galien {

SampleOwnership::SampleOwnership(std::vector<std::int64_t> shard_sizes, int world_size,
                                 bool allow_idle_ranks)
    : sizes_(std::move(shard_sizes)), world_size_(world_size) {
  GALIEN_CHECK(world_size > 0 && !sizes_.empty(), "ownership of " << sizes_.size()
                                                                 << " shards by " << world_size);
  for (std::int64_t size : sizes_) {
    offsets_.push_back(total_);
    total_ += size;
  }
  by_shard_ = static_cast<int>(sizes_.size()) >= world_size;
  if (total_ < world_size && !allow_idle_ranks) {
    GALIEN_USER_ERROR("the split has " << total_ << " samples but the job has " << world_size
                      << " ranks: every rank needs at least one sample; use fewer ranks");
  }
}

std::int64_t SampleOwnership::global_index(const SampleRef& sample) const {
  return offsets_[static_cast<std::size_t>(sample.shard)] + sample.index;
}

std::int64_t SampleOwnership::range_begin(int rank) const {
  return total_ * rank / world_size_;
}

int SampleOwnership::owner(const SampleRef& sample) const {
  if (by_shard_) return sample.shard % world_size_;
  const std::int64_t g = global_index(sample);
  // The largest rank whose range starts at or before g.
  int rank = static_cast<int>((g * world_size_) / total_);
  while (rank + 1 < world_size_ && range_begin(rank + 1) <= g) ++rank;
  while (rank > 0 && range_begin(rank) > g) --rank;
  return rank;
}

std::vector<int> SampleOwnership::shards_of(int rank) const {
  std::vector<int> shards;
  if (by_shard_) {
    for (int s = rank; s < static_cast<int>(sizes_.size()); s += world_size_) shards.push_back(s);
    return shards;
  }
  const std::int64_t begin = range_begin(rank), end = range_begin(rank + 1);
  for (std::size_t s = 0; s < sizes_.size(); ++s)
    if (offsets_[s] < end && offsets_[s] + sizes_[s] > begin) shards.push_back(static_cast<int>(s));
  return shards;
}

std::vector<SampleRef> SampleOwnership::samples_of(int rank) const {
  std::vector<SampleRef> samples;
  const std::int64_t begin = by_shard_ ? 0 : range_begin(rank);
  const std::int64_t end = by_shard_ ? total_ : range_begin(rank + 1);
  for (int s : shards_of(rank)) {
    const auto i = static_cast<std::size_t>(s);
    const std::int64_t first = std::max<std::int64_t>(0, begin - offsets_[i]);
    const std::int64_t last = std::min<std::int64_t>(sizes_[i], end - offsets_[i]);
    for (std::int64_t row = first; row < last; ++row) samples.push_back({s, row});
  }
  return samples;
}

SampleRef SampleOwnership::first_of(int rank) const {
  GALIEN_CHECK(count_of(rank) > 0, "rank " << rank << " owns no sample");
  if (by_shard_) return {rank, 0};
  const std::int64_t g = range_begin(rank);
  // The shard holding global index g: the last one that starts at or before it.
  std::size_t s = static_cast<std::size_t>(
      std::upper_bound(offsets_.begin(), offsets_.end(), g) - offsets_.begin() - 1);
  while (sizes_[s] == 0 || g >= offsets_[s] + sizes_[s]) ++s;  // skip empty shards
  return {static_cast<int>(s), g - offsets_[s]};
}

std::int64_t SampleOwnership::count_of(int rank) const {
  if (!by_shard_) return range_begin(rank + 1) - range_begin(rank);
  std::int64_t n = 0;
  for (int s : shards_of(rank)) n += sizes_[static_cast<std::size_t>(s)];
  return n;
}

}  // namespace galien
