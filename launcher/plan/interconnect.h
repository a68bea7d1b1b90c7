// The figures `galien plan` needs about one machine, read from the `interconnect:` section of its
// cluster profile (slurm/<name>.yaml): how fast GPUs talk inside a node and between nodes, what
// one collective costs in latency, and the GPU's fp32 peak. Every figure is published somewhere;
// the profile's `source:` says where (docs/BENCHMARKS.md, "Scaling projection", cites them all).
#pragma once

#include <string>

namespace galien::plan {

struct Interconnect {
  std::string file;  // the profile it was read from, for messages

  std::string gpu;               // "NVIDIA H100 SXM5 80 GB", as printed
  double gpu_fp32_tflops = 0;    // the GPU's (or GCD's) fp32 peak, non-tensor: galien trains in fp32

  // Inside a node: each GPU's bandwidth into the ring, one direction, GB/s (10^9 bytes/s).
  double intra_node_gbytes_s = 0;
  double intra_step_latency_us = 0;  // per ring step between two GPUs of a node

  // Between nodes: NICs x line rate is the node's injection bandwidth.
  int nics_per_node = 0;
  double nic_gbits_s = 0;            // per NIC, Gbit/s as vendors state it
  double inter_step_latency_us = 0;  // per ring step between two nodes
  double collective_latency_us = 0;  // fixed cost of one allreduce call (launch, set-up)

  // Share of the links' peak an allreduce reaches (protocol overhead, imperfect overlap of the
  // ring's sends); applied to the intra- and inter-node bandwidths.
  double bandwidth_efficiency = 0;

  std::string source;      // citations of every figure above
  std::string accounting;  // how the centre counts GPU-hours here, with its source

  // Bytes per second an allreduce moves into/out of one node, after efficiency.
  double node_injection_bytes_s() const;
  // Bytes per second of one GPU's intra-node ring link, after efficiency.
  double intra_node_bytes_s() const;
};

// The `interconnect:` section of a profile file. UserError with FILE:LINE:COLUMN for an unknown
// key (with the closest valid one), a value out of range, a missing figure (all are listed) or
// a missing section (with the keys to add).
Interconnect read_interconnect(const std::string& profile_file);
// The same for a profile's `text`, `profile_file` naming it in messages; touches no file.
Interconnect read_interconnect_text(const std::string& text, const std::string& profile_file);

}  // namespace galien::plan
