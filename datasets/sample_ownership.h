// Which rank owns (reads, trains on, evaluates) each sample of a split, for any rank count:
//  - at least as many shards as ranks: shard s belongs to rank s mod world_size, whole, so a rank
//    reads only its own files (the fast path, and the layout `data.shards` is chosen for);
//  - fewer shards than ranks (shard once, train on 1 to 64 nodes): ranks take contiguous ranges of
//    the split's samples in shard order, [r*N/W, (r+1)*N/W); a rank reads the shards its range
//    touches, possibly part of one or parts of several.
// Either way every sample has exactly one owner, so metrics count each sample once, and the
// samples of a global batch do not depend on the rank count (datasets/epoch_plan.h).
#pragma once

#include <cstdint>
#include <vector>

namespace galien {

struct SampleRef {
  int shard = 0;             // index in the split's shard list (manifest order)
  std::int64_t index = 0;    // row inside that shard
};

class SampleOwnership {
 public:
  // UserError when the split has fewer samples than ranks (a rank would own none), unless
  // `allow_idle_ranks`: evaluation splits (a val split of 20 cases on 64 ranks), where a rank
  // with no sample just contributes nothing. Training needs every rank busy (EpochPlan).
  SampleOwnership(std::vector<std::int64_t> shard_sizes, int world_size,
                  bool allow_idle_ranks = false);

  bool by_shard() const { return by_shard_; }
  int owner(const SampleRef& sample) const;
  // The shards holding samples of `rank`, in manifest order.
  std::vector<int> shards_of(int rank) const;
  // The samples of `rank`, shard by shard, in row order.
  std::vector<SampleRef> samples_of(int rank) const;
  std::int64_t count_of(int rank) const;
  // The first sample of `rank` (what pads its part of a batch), without listing them all.
  SampleRef first_of(int rank) const;

 private:
  std::int64_t global_index(const SampleRef& sample) const;
  std::int64_t range_begin(int rank) const;  // range mode

  std::vector<std::int64_t> sizes_, offsets_;  // offsets_[s] = samples before shard s
  std::int64_t total_ = 0;
  int world_size_;
  bool by_shard_;
};

}  // namespace galien
