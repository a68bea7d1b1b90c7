#include "trainers/distributed/buffer_sync.h"

#include <torch/types.h>

#include <cstring>

namespace galien {

BufferSync::BufferSync(std::vector<torch::Tensor> buffers, const Comm& comm) : comm_(comm) {
  if (comm.size() == 1) return;
  std::size_t bytes = 0;
  for (auto& b : buffers) {
    if (!b.defined() || b.numel() == 0) continue;
    bytes += static_cast<std::size_t>(b.numel()) * b.element_size();
    buffers_.push_back(b);
  }
  packed_.resize(bytes);
}

void BufferSync::broadcast_from_root() {
  if (buffers_.empty()) return;
  torch::NoGradGuard no_grad;
  std::size_t offset = 0;
  if (comm_.is_root())
    for (const auto& b : buffers_) {
      auto cpu = b.to(torch::kCPU).contiguous();
      const auto bytes = static_cast<std::size_t>(cpu.numel()) * cpu.element_size();
      std::memcpy(packed_.data() + offset, cpu.data_ptr(), bytes);
      offset += bytes;
    }
  comm_.broadcast(packed_.data(), packed_.size(), 0);
  if (comm_.is_root()) return;
  offset = 0;
  for (auto& b : buffers_) {
    const auto bytes = static_cast<std::size_t>(b.numel()) * b.element_size();
    auto source = torch::from_blob(packed_.data() + offset, b.sizes(),
                                   torch::TensorOptions().dtype(b.scalar_type()));
    b.copy_(source);
    offset += bytes;
  }
}

}  // namespace galien
