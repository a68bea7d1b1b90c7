// Data-parallel scaling projection: step time, throughput, efficiency, time to train and GPU
// hours of one training on `nodes` x `gpus_per_node` GPUs, from a per-sample compute time and
// the allreduce model (allreduce_model.h). A projection, not a measurement: docs/BENCHMARKS.md,
// "Scaling projection", states every assumption.
//
//   compute  = max(local_batch * ms_per_sample, floor_ms)        (the slowest rank's share)
//   data     = local_batch * data_ms_per_sample                  (batch waits, from a real run)
//   hidden   = min(overlap * allreduce, backward_share * compute) (comm under backward)
//   step     = data + compute + (allreduce - hidden) / accumulation   (per batch)
//   samples/s = global_batch / step;  efficiency = samples/s / (GPUs * samples/s on 1 GPU)
//   time to train = epochs * ceil(train_samples / global_batch) * step
//   GPU-hours = charged GPUs * time to train
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/plan/allreduce_model.h"
#include "launcher/plan/interconnect.h"

namespace galien::plan {

// One GPU's cost of a step, per sample of its local batch.
struct ComputeModel {
  double ms_per_sample = 0;       // forward + backward + optimiser step on the target GPU
  double floor_ms = 0;            // a step takes at least this (kernel launches); 0 = none
  double data_ms_per_sample = 0;  // time waiting for batches; 0 when not measured
  std::string source;             // where ms_per_sample comes from, printed with every result
};

enum class BatchMode {
  kGlobal,  // trainer.batch_size is the global batch (as galien trains): strong scaling
  kPerGpu,  // the same batch on every GPU, the global batch grows with the GPUs: weak scaling
};

struct Workload {
  double gradient_bytes = 0;  // fp32 gradients: 4 bytes per parameter
  int buckets = 1;            // allreduce calls per optimiser step (count_buckets; 1 when flat)
  int accumulation = 1;       // trainer.gradient_accumulation: batches per allreduce
  std::int64_t train_samples = 0;
  int epochs = 0;
  BatchMode mode = BatchMode::kGlobal;
  std::int64_t batch = 0;     // the global batch (kGlobal) or the per-GPU batch (kPerGpu)
  double overlap = 0;         // share of the allreduce hidden behind backward, [0, 1]
  double backward_share = 2.0 / 3.0;  // backward's share of compute (about twice the forward)
};

struct Layout {
  int nodes = 1;
  int gpus_per_node = 1;          // ranks per node
  int charged_gpus_per_node = 1;  // GPUs the centre charges per node (whole node if exclusive)
};

struct Projection {
  int nodes = 0, gpus_per_node = 0, gpus = 0, charged_gpus = 0;
  std::int64_t global_batch = 0;
  std::int64_t local_batch = 0;  // the largest share of a global batch a rank gets
  double compute_ms = 0, data_ms = 0;
  bool floor_binds = false;      // compute is the launch floor, not batch x per-sample time
  AllreduceTime allreduce;
  double hidden_ms = 0, exposed_comm_ms = 0, step_ms = 0;
  double samples_per_s = 0;
  double efficiency = 0;         // vs the same model on one GPU
  std::int64_t steps_per_epoch = 0;
  double hours = 0;              // time to train, compute only (no queue, start-up, evaluation)
  double gpu_hours = 0;
  std::string refused;           // non-empty: galien would not start this job (the reason)
};

// Throws UserError when the workload cannot be projected (no samples, no epochs, overlap out of
// [0, 1], a zero batch).
Projection project(const Interconnect& net, const ComputeModel& compute, const Workload& work,
                   const Layout& layout);

// 1, 2, 4, ... max_nodes nodes of `gpus_per_node` GPUs.
std::vector<Projection> sweep(const Interconnect& net, const ComputeModel& compute,
                              const Workload& work, int gpus_per_node, int charged_gpus_per_node,
                              int max_nodes = 64);

}  // namespace galien::plan
