// Time of one training step's gradient allreduce, alpha-beta model of a hierarchical ring:
//
//   inside each node, a ring over its g GPUs (reduce-scatter, then all-gather at the end),
//   between nodes, a ring over the N nodes carrying each GPU's 1/g slice on its share of the
//   node's NICs. For n gradient bytes split into b buckets (one allreduce call each, as
//   galien's bucketed sync issues them):
//
//   intra = b * 2(g-1) * alpha_intra + 2(g-1)/g * n / beta_intra
//   inter = b * 2(N-1) * alpha_inter + 2(N-1)/N * n / B_node
//   calls = b * alpha_call                                    (when g*N > 1)
//
// beta_intra is one GPU's link bandwidth into the ring, B_node the node's injection bandwidth
// (NICs x line rate), both after the profile's bandwidth_efficiency. The step counts 2(g-1) and
// 2(N-1) and the per-step latencies are those of NCCL's own ring cost model
// (src/graph/tuning.cc); docs/BENCHMARKS.md, "Scaling projection", gives the figures' sources.
#pragma once

#include <cstdint>
#include <vector>

#include "launcher/plan/interconnect.h"

namespace galien::plan {

struct AllreduceTime {
  int buckets = 0;       // allreduce calls per step
  double intra_s = 0;    // intra-node steps: latency + bandwidth
  double inter_s = 0;    // inter-node steps: latency + bandwidth
  double calls_s = 0;    // fixed cost of the calls
  double total_s() const { return intra_s + inter_s + calls_s; }
};

// `bytes` of gradients (fp32: 4 per parameter) reduced in `buckets` allreduce calls, over
// `nodes` x `gpus_per_node` ranks. Zero for a single GPU. Throws InternalError (GALIEN_CHECK)
// on non-positive sizes; callers validate user input first.
AllreduceTime allreduce_time(const Interconnect& net, int nodes, int gpus_per_node, double bytes,
                             int buckets);

// The buckets galien's bucketed sync makes (trainers/distributed/gradient_sync.cpp): parameters in reverse
// registration order, a new bucket when the next one would overflow bucket_mb (MiB), and a
// parameter larger than a bucket alone in its own.
int count_buckets(const std::vector<std::int64_t>& parameter_numels, double bucket_mb);

}  // namespace galien::plan
