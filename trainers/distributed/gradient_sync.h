// Data-parallel gradient summation.
//
// The loss on each rank is already divided by the real sample count of the *global* batch, so
// the sum over ranks of the gradients is the gradient of the global mean loss, exactly as one
// big process would compute it. Reductions run in fp32 whatever the gradient dtype.
//
//  - FlatGradientSync: after backward, all gradients packed in one buffer, one allreduce. The
//    reference: simple and bit-identical across runs.
//  - BucketedGradientSync (default): parameters grouped into buckets of trainer.bucket_mb in
//    reverse registration order (the order backward produces gradients); a bucket's
//    non-blocking allreduce starts from an autograd hook as soon as its last gradient is
//    accumulated, so communication overlaps the rest of backward (as PyTorch DDP and Horovod
//    do). Buckets are launched strictly in index order, hence in the same order on every rank.
//
// With the fused optimiser's flat gradient buffer (trainers/loop/flat_parameters.h) and a backend
// that reduces where the gradients live, the flat sync reduces that buffer in place and each
// bucket is a contiguous slice of it (consecutive parameters are consecutive in the buffer):
// nothing is copied into or out of the buckets.
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "trainers/distributed/comm.h"
#include "trainers/distributed/reduce_backend.h"

namespace galien {

class FlatParameters;

// Rank `root`'s parameter values on every rank (initial weights, or a resumed checkpoint).
void broadcast_parameters(const std::vector<torch::Tensor>& parameters, const Comm& comm,
                          int root);

class GradientSync {
 public:
  virtual ~GradientSync() = default;
  // Before backward. `synchronize` is false on gradient-accumulation micro-steps: nothing is
  // communicated until the last micro-step.
  virtual void prepare(bool synchronize) = 0;
  // After backward of a synchronising step: every rank holds the summed gradients.
  virtual void finish() = 0;
};

class FlatGradientSync : public GradientSync {
 public:
  // `flat`: the gradients' flat buffer, or nullptr (see above).
  FlatGradientSync(std::vector<torch::Tensor> parameters, ReduceBackend& backend,
                   FlatParameters* flat = nullptr);
  void prepare(bool) override {}
  void finish() override;
  bool reduces_in_place() const { return flat_ != nullptr; }

 private:
  std::vector<torch::Tensor> parameters_;
  ReduceBackend& backend_;
  FlatParameters* flat_ = nullptr;  // set when the flat buffer is reduced in place
  torch::Tensor send_, recv_;
};

class BucketedGradientSync : public GradientSync {
 public:
  BucketedGradientSync(std::vector<torch::Tensor> parameters, ReduceBackend& backend,
                       double bucket_mb, FlatParameters* flat = nullptr);
  ~BucketedGradientSync() override;
  void prepare(bool synchronize) override;
  void finish() override;
  std::size_t num_buckets() const { return buckets_.size(); }
  bool buckets_in_flat_buffer() const { return in_flat_; }

 private:
  struct Bucket {
    std::vector<std::size_t> params;  // indices into parameters_, in reverse registration order
    std::vector<std::int64_t> offsets;
    torch::Tensor send, recv;         // fp32
    bool in_place = false;            // this step's sum is in `send` (blocking, in place)
    std::size_t ready = 0;
    bool launched = false;
  };
  void on_gradient_ready(std::size_t param);
  void launch_ready_buckets();  // in index order, stopping at the first incomplete one
  void launch(Bucket& bucket);

  std::vector<torch::Tensor> parameters_;
  ReduceBackend& backend_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_;
  std::size_t next_to_launch_ = 0;
  bool synchronize_ = false;
  bool grads_in_buffers_ = false;  // .grad() are views into the buckets' send buffers
  bool in_flat_ = false;           // ... which are slices of the flat gradient buffer
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // hooks live here
};

// The sync trainer.gradient_sync asks for; `flat`: the fused optimiser's buffers, or nullptr.
std::unique_ptr<GradientSync> make_gradient_sync(const std::string& kind,
                                                 std::vector<torch::Tensor> parameters,
                                                 ReduceBackend& backend, double bucket_mb,
                                                 FlatParameters* flat = nullptr);

}  // namespace galien
