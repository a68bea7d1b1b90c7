// Which samples each rank trains on, batch by batch, in one epoch.
//
// Properties that data parallelism needs, by construction:
//  - every rank runs the same number of batches (no rank waits in a collective another rank
//    never enters);
//  - a rank touches only the samples it owns (datasets/sample_ownership.h: whole shards when
//    there are at least as many shards as ranks, else contiguous ranges), so it reads only its
//    share of the data;
//  - the *set* of samples in global batch b depends on (seed, epoch, shard sizes, global batch)
//    only, not on the number of ranks: a 1-rank and a 2-rank run take the same steps.
//
// How: each shard's samples are permuted from (seed, epoch, shard); the epoch's sample stream
// interleaves the shards round-robin; global batch b is stream[b*B, (b+1)*B). Each rank keeps
// the entries of its own shards and pads to the largest per-rank count of that batch with
// zero-weight copies, so shapes match and padded samples never count in the loss or metrics.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/sample_ownership.h"

namespace galien {


struct RankBatch {
  std::vector<SampleRef> samples;  // real samples first, then padding
  std::int64_t num_real = 0;       // samples of this rank that count
  std::int64_t global_real = 0;    // real samples in the whole global batch (loss normaliser)
  std::uint64_t epoch = 0;         // the epoch it belongs to: per-sample random draws (patches,
                                   // augmentation) depend on (seed, epoch, sample) only
};

class EpochPlan {
 public:
  EpochPlan(std::vector<std::int64_t> shard_sizes, int world_size, int rank,
            std::int64_t global_batch, std::uint64_t seed, std::uint64_t epoch);

  std::int64_t num_batches() const { return num_batches_; }
  RankBatch batch(std::int64_t b) const;
  // Real samples in global batch b (all ranks together), without building the batch.
  std::int64_t global_real(std::int64_t b) const;
  const SampleOwnership& ownership() const { return ownership_; }

 private:
  SampleOwnership ownership_;
  std::uint64_t epoch_;
  std::vector<SampleRef> stream_;
  int world_size_, rank_;
  std::int64_t global_batch_, num_batches_;
};

}  // namespace galien
