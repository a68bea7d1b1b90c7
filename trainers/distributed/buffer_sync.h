// Model buffers (BatchNorm running mean/variance and batch counters) are updated by each rank's
// forward pass from its own samples, so ranks would drift apart. As PyTorch DDP does by default,
// rank 0's buffers are broadcast before every training forward pass: every rank then holds the
// same model at every step, and a checkpoint written by rank 0 resumes exactly on any rank.
#pragma once

#include <torch/types.h>

#include <vector>

#include "trainers/distributed/comm.h"

namespace galien {

class BufferSync {
 public:
  BufferSync(std::vector<torch::Tensor> buffers, const Comm& comm);
  bool empty() const { return buffers_.empty(); }
  // One broadcast of all buffers (packed as bytes); a no-op on one rank or without buffers.
  void broadcast_from_root();

 private:
  std::vector<torch::Tensor> buffers_;
  Comm comm_;
  std::vector<std::uint8_t> packed_;
};

}  // namespace galien
