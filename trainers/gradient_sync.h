// Data-parallel gradient averaging over MPI.
//
// After backward, every parameter's gradient is packed into one flat fp32 buffer, reduced with a
// single MPI_Allreduce (one call per step, not one per tensor: small models are latency-bound),
// and unpacked. The loss is already divided by the global batch's real sample count, so a SUM
// gives the gradient of the global mean loss exactly as one big process would compute it.
// (Bucketed sync overlapped with backward is the next step: issue "HPC-grade trainer".)
#pragma once

#include <torch/types.h>

#include <vector>

#include "trainers/comm.h"

namespace galien {

class FlatGradientSync {
 public:
  FlatGradientSync(std::vector<torch::Tensor> parameters, const Comm& comm);

  // Rank `root`'s parameter values on every rank (initial weights).
  void broadcast_parameters(int root);
  // Sums gradients over ranks, in place. Undefined gradients count as zero.
  void allreduce_gradients();

  std::size_t num_elements() const { return static_cast<std::size_t>(flat_.numel()); }

 private:
  std::vector<torch::Tensor> parameters_;
  const Comm& comm_;
  torch::Tensor flat_;  // fp32, contiguous, CPU
};

}  // namespace galien
