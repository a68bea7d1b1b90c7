#include "launcher/plan/allreduce_model.h"

#include <cmath>

#include "core/error.h"

namespace galien::plan {

AllreduceTime allreduce_time(const Interconnect& net, int nodes, int gpus_per_node, double bytes,
                             int buckets) {
  GALIEN_CHECK(nodes >= 1 && gpus_per_node >= 1, "nodes " << nodes << ", gpus " << gpus_per_node);
  GALIEN_CHECK(bytes > 0 && buckets >= 1, "bytes " << bytes << ", buckets " << buckets);
  AllreduceTime time;
  if (nodes * gpus_per_node == 1) return time;  // nothing to reduce
  time.buckets = buckets;
  const double b = time.buckets, g = gpus_per_node, n = nodes;
  if (gpus_per_node > 1)
    time.intra_s = b * 2 * (g - 1) * net.intra_step_latency_us * 1e-6 +
                   2 * (g - 1) / g * bytes / net.intra_node_bytes_s();
  if (nodes > 1)
    time.inter_s = b * 2 * (n - 1) * net.inter_step_latency_us * 1e-6 +
                   2 * (n - 1) / n * bytes / net.node_injection_bytes_s();
  time.calls_s = b * net.collective_latency_us * 1e-6;
  return time;
}

int count_buckets(const std::vector<std::int64_t>& parameter_numels, double bucket_mb) {
  GALIEN_CHECK(!parameter_numels.empty() && bucket_mb > 0, "no parameters or bucket_mb " << bucket_mb);
  const auto limit = static_cast<std::int64_t>(bucket_mb * 1024 * 1024 / sizeof(float));
  int buckets = 0;
  std::int64_t filled = 0;
  for (std::size_t k = parameter_numels.size(); k-- > 0;) {
    if (buckets == 0 || (filled > 0 && filled + parameter_numels[k] > limit)) {
      ++buckets;
      filled = 0;
    }
    filled += parameter_numels[k];
  }
  return buckets;
}

}  // namespace galien::plan
