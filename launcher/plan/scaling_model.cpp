#include "launcher/plan/scaling_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace galien::plan {
namespace {

void check(const Workload& work, const ComputeModel& compute, const Layout& layout) {
  if (work.train_samples < 1)
    GALIEN_USER_ERROR("the training set size is " << work.train_samples << " samples; shard the "
                      << "data (galien shard) or give --samples N");
  if (work.epochs < 1) GALIEN_USER_ERROR("trainer.epochs must be at least 1, got " << work.epochs);
  if (work.batch < 1) GALIEN_USER_ERROR("the batch size must be at least 1, got " << work.batch);
  if (!(work.overlap >= 0 && work.overlap <= 1))
    GALIEN_USER_ERROR("--overlap must be in [0, 1] (the share of communication hidden behind "
                      << "backward), got " << work.overlap);
  if (!(work.gradient_bytes > 0) || work.buckets < 1 || work.accumulation < 1)
    GALIEN_USER_ERROR("the model has no gradient bytes to reduce (" << work.gradient_bytes
                      << "), or no bucket, or trainer.gradient_accumulation < 1");
  if (!(compute.ms_per_sample > 0))
    GALIEN_USER_ERROR("the compute time per sample must be positive, got "
                      << compute.ms_per_sample << " ms (" << compute.source << ")");
  if (layout.nodes < 1 || layout.gpus_per_node < 1)
    GALIEN_USER_ERROR("--nodes and --gpus-per-node must be at least 1, got " << layout.nodes
                      << " and " << layout.gpus_per_node);
}

// Step time and its parts, without efficiency and totals.
Projection step(const Interconnect& net, const ComputeModel& compute, const Workload& work,
                const Layout& layout) {
  Projection p;
  p.nodes = layout.nodes;
  p.gpus_per_node = layout.gpus_per_node;
  p.gpus = layout.nodes * layout.gpus_per_node;
  p.charged_gpus = layout.nodes * std::max(layout.charged_gpus_per_node, layout.gpus_per_node);
  if (work.mode == BatchMode::kGlobal) {
    p.global_batch = work.batch;
    if (work.batch < p.gpus) {
      p.refused = "trainer.batch_size " + std::to_string(work.batch) + " < " +
                  std::to_string(p.gpus) + " ranks (galien refuses to start)";
      return p;
    }
    p.local_batch = (work.batch + p.gpus - 1) / p.gpus;
  } else {
    p.local_batch = work.batch;
    p.global_batch = work.batch * p.gpus;
  }
  const double b = static_cast<double>(p.local_batch);
  const double per_batch = b * compute.ms_per_sample;
  p.floor_binds = compute.floor_ms > per_batch;
  p.compute_ms = std::max(per_batch, compute.floor_ms);
  p.data_ms = b * compute.data_ms_per_sample;
  p.allreduce = allreduce_time(net, layout.nodes, layout.gpus_per_node, work.gradient_bytes,
                               work.buckets);
  const double comm_ms = 1e3 * p.allreduce.total_s();
  p.hidden_ms = std::min(work.overlap * comm_ms, work.backward_share * p.compute_ms);
  // With accumulation the allreduce happens once every `accumulation` batches.
  p.exposed_comm_ms = (comm_ms - p.hidden_ms) / work.accumulation;
  p.step_ms = p.data_ms + p.compute_ms + p.exposed_comm_ms;
  p.samples_per_s = static_cast<double>(p.global_batch) / (p.step_ms * 1e-3);
  return p;
}

}  // namespace

Projection project(const Interconnect& net, const ComputeModel& compute, const Workload& work,
                   const Layout& layout) {
  check(work, compute, layout);
  Projection p = step(net, compute, work, layout);
  if (!p.refused.empty()) return p;
  const Projection one = step(net, compute, work, Layout{1, 1, 1});
  p.efficiency = p.samples_per_s / (p.gpus * one.samples_per_s);
  p.steps_per_epoch = (work.train_samples + p.global_batch - 1) / p.global_batch;
  p.hours = work.epochs * static_cast<double>(p.steps_per_epoch) * p.step_ms / 3.6e6;
  p.gpu_hours = p.charged_gpus * p.hours;
  return p;
}

std::vector<Projection> sweep(const Interconnect& net, const ComputeModel& compute,
                              const Workload& work, int gpus_per_node, int charged_gpus_per_node,
                              int max_nodes) {
  std::vector<Projection> rows;
  for (int nodes = 1; nodes <= max_nodes; nodes *= 2)
    rows.push_back(project(net, compute, work, Layout{nodes, gpus_per_node, charged_gpus_per_node}));
  return rows;
}

}  // namespace galien::plan
