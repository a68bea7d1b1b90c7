#include "trainers/distributed/gradient_sync.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/types.h>

#include <cstring>

#include "core/error.h"
#include "trainers/loop/flat_parameters.h"

namespace galien {
namespace {

// The flat gradient buffer can be reduced where it is when the backend reduces buffers on the
// gradients' device, or when that device is the CPU.
bool reducible_in_place(const FlatParameters* flat, const ReduceBackend& backend) {
  return flat && (backend.device_buffers() || flat->gradients().device().is_cpu());
}

// fp32 buffers where the backend wants them: CPU (pinned when the gradients live on a GPU, so
// the staging copies are fast) or the parameters' GPU.
torch::Tensor make_buffer(std::int64_t count, const torch::Tensor& like, const ReduceBackend& backend) {
  auto options = torch::TensorOptions().dtype(torch::kFloat32);
  if (backend.device_buffers()) return torch::zeros({count}, options.device(like.device()));
  if (like.is_cuda()) options = options.pinned_memory(true);
  return torch::zeros({count}, options);
}

// Copies gradients into the bucket buffer, except those that already live there (see
// BucketedGradientSync: .grad() is a view into the send buffer, as in PyTorch DDP's
// gradient_as_bucket_view, so the common case copies nothing).
void pack(const std::vector<torch::Tensor>& params, const std::vector<std::size_t>& which,
          const std::vector<std::int64_t>& offsets, torch::Tensor& buffer) {
  float* base = buffer.data_ptr<float>();
  for (std::size_t i = 0; i < which.size(); ++i) {
    const auto& p = params[which[i]];
    const torch::Tensor& grad = p.grad();
    // Pointer comparison, not tensor views: per-tensor LibTorch calls cost microseconds each,
    // which dominates small buckets (docs/BENCHMARKS.md).
    if (grad.defined() && grad.data_ptr() == base + offsets[i]) continue;
    auto slot = buffer.narrow(0, offsets[i], p.numel());
    if (!grad.defined())
      slot.zero_();
    else
      slot.copy_(grad.reshape({-1}));
  }
}

// Copies the summed gradients back into .grad(). With `home` (the send buffer, same device and
// dtype as the parameters) a gradient that is not a view into it becomes one again, so the next
// backward accumulates in place and the next pack copies nothing.
void unpack(const std::vector<torch::Tensor>& params, const std::vector<std::size_t>& which,
            const std::vector<std::int64_t>& offsets, const torch::Tensor& buffer,
            const torch::Tensor* home) {
  const float* source = buffer.data_ptr<float>();
  float* home_base = home ? home->data_ptr<float>() : nullptr;
  const bool host = buffer.device().is_cpu();
  for (std::size_t i = 0; i < which.size(); ++i) {
    auto p = params[which[i]];
    const std::int64_t n = p.numel();
    // The common case on CPU: .grad() is already its view into `home`: nothing to do when the
    // reduction ran in place in `home`, else one memcpy; no tensor calls either way.
    if (home && host && p.grad().defined() && p.grad().data_ptr() == home_base + offsets[i]) {
      if (source != home_base)
        std::memcpy(home_base + offsets[i], source + offsets[i], static_cast<std::size_t>(n) * sizeof(float));
      continue;
    }
    auto slot = buffer.narrow(0, offsets[i], n).view(p.sizes());
    if (home) {
      auto view = home->narrow(0, offsets[i], n).view(p.sizes());
      if (!p.grad().defined() || p.grad().data_ptr() != view.data_ptr()) p.mutable_grad() = view;
    }
    if (p.grad().defined())
      p.mutable_grad().copy_(slot);
    else
      p.mutable_grad() = slot.to(p.device(), p.scalar_type(), false, true);
  }
}

}  // namespace

void broadcast_parameters(const std::vector<torch::Tensor>& parameters, const Comm& comm, int root) {
  torch::NoGradGuard no_grad;
  std::int64_t total = 0;
  for (const auto& p : parameters) total += p.numel();
  auto flat = torch::empty({total}, torch::kFloat32);
  std::int64_t offset = 0;
  for (const auto& p : parameters) {
    flat.narrow(0, offset, p.numel()).copy_(p.detach().reshape({-1}));
    offset += p.numel();
  }
  comm.broadcast(flat.data_ptr<float>(), static_cast<std::size_t>(total) * sizeof(float), root);
  offset = 0;
  for (auto p : parameters) {
    p.copy_(flat.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

FlatGradientSync::FlatGradientSync(std::vector<torch::Tensor> parameters, ReduceBackend& backend,
                                   FlatParameters* flat)
    : parameters_(std::move(parameters)), backend_(backend) {
  GALIEN_CHECK(!parameters_.empty(), "model without parameters");
  if (reducible_in_place(flat, backend_)) {
    flat_ = flat;
    return;
  }
  std::int64_t total = 0;
  for (const auto& p : parameters_) total += p.numel();
  send_ = make_buffer(total, parameters_.front(), backend_);
  recv_ = make_buffer(total, parameters_.front(), backend_);
}

void FlatGradientSync::finish() {
  torch::NoGradGuard no_grad;
  if (flat_) {  // one blocking allreduce of the flat gradient buffer, in place
    flat_->ensure_views();
    auto* gradients = static_cast<float*>(flat_->gradients().data_ptr());
    backend_.reduce_now(gradients, gradients, static_cast<std::size_t>(flat_->numel()));
    backend_.wait_all();
    return;
  }
  std::vector<std::size_t> all(parameters_.size());
  std::vector<std::int64_t> offsets(parameters_.size());
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    all[i] = i;
    offsets[i] = offset;
    offset += parameters_[i].numel();
  }
  pack(parameters_, all, offsets, send_);
  backend_.reduce_now(send_.data_ptr<float>(), recv_.data_ptr<float>(),
                      static_cast<std::size_t>(send_.numel()));
  backend_.wait_all();
  unpack(parameters_, all, offsets, recv_, nullptr);
}

BucketedGradientSync::BucketedGradientSync(std::vector<torch::Tensor> parameters,
                                           ReduceBackend& backend, double bucket_mb,
                                           FlatParameters* flat)
    : parameters_(std::move(parameters)), backend_(backend), bucket_of_(parameters_.size()) {
  GALIEN_CHECK(!parameters_.empty(), "model without parameters");
  const auto limit = static_cast<std::int64_t>(bucket_mb * 1024 * 1024 / sizeof(float));
  std::int64_t filled = 0;
  for (std::size_t k = parameters_.size(); k-- > 0;) {  // reverse registration order
    if (buckets_.empty() || (filled > 0 && filled + parameters_[k].numel() > limit)) {
      buckets_.emplace_back();
      filled = 0;
    }
    buckets_.back().params.push_back(k);
    buckets_.back().offsets.push_back(filled);
    bucket_of_[k] = buckets_.size() - 1;
    filled += parameters_[k].numel();
  }
  in_flat_ = reducible_in_place(flat, backend_);
  if (in_flat_) {
    GALIEN_CHECK(flat->size() == parameters_.size(), "the flat buffer holds other parameters");
    flat->ensure_views();
  }
  for (auto& bucket : buckets_) {
    const auto& last = parameters_[bucket.params.back()];
    if (in_flat_) {
      // A bucket holds consecutive parameters, k_last < ... < k_first: the slice of the flat
      // buffer from k_last's offset to the end of k_first, each at its own offset in it.
      const std::int64_t begin = flat->offset(bucket.params.back());
      const std::size_t first = bucket.params.front();
      const std::int64_t count = flat->offset(first) + parameters_[first].numel() - begin;
      for (std::size_t i = 0; i < bucket.params.size(); ++i)
        bucket.offsets[i] = flat->offset(bucket.params[i]) - begin;
      bucket.send = flat->gradients().narrow(0, begin, count);
      bucket.recv = make_buffer(count, last, backend_);
      continue;
    }
    const std::int64_t count = bucket.offsets.back() + last.numel();
    bucket.send = make_buffer(count, last, backend_);
    bucket.recv = make_buffer(count, last, backend_);
  }
  // Gradients as views into the send buffers when they share device and dtype: backward then
  // accumulates straight into the buffer and packing copies nothing; a bucket reduced after
  // backward is then reduced in place, so its sum is already in .grad() (no copy back).
  const auto& first = parameters_.front();
  grads_in_buffers_ = first.scalar_type() == torch::kFloat32 &&
                      buckets_.front().send.device() == first.device();
  if (grads_in_buffers_) {
    torch::NoGradGuard no_grad;
    for (auto& bucket : buckets_) unpack(parameters_, bucket.params, bucket.offsets, bucket.send, &bucket.send);
  }
  // Post-accumulate hooks: they fire once the gradient has been added to .grad(). The
  // accumulator node must be kept alive here, the tensor holds only a weak reference.
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    auto accumulator = torch::autograd::impl::grad_accumulator(parameters_[k]);
    GALIEN_CHECK(accumulator, "parameter " << k << " has no gradient accumulator");
    accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, k](const torch::autograd::variable_list& outputs,
                  const torch::autograd::variable_list&) {
          on_gradient_ready(k);
          return outputs;
        }));
    accumulators_.push_back(std::move(accumulator));
  }
}

BucketedGradientSync::~BucketedGradientSync() { backend_.wait_all(); }

void BucketedGradientSync::prepare(bool synchronize) {
  synchronize_ = synchronize;
  next_to_launch_ = 0;
  for (auto& bucket : buckets_) {
    bucket.ready = 0;
    bucket.launched = false;
  }
}

void BucketedGradientSync::on_gradient_ready(std::size_t param) {
  if (!synchronize_) return;
  ++buckets_[bucket_of_[param]].ready;
  launch_ready_buckets();
  backend_.progress();
}

void BucketedGradientSync::launch_ready_buckets() {
  while (next_to_launch_ < buckets_.size() &&
         buckets_[next_to_launch_].ready == buckets_[next_to_launch_].params.size())
    launch(buckets_[next_to_launch_++]);
}

void BucketedGradientSync::launch(Bucket& bucket) {
  torch::NoGradGuard no_grad;
  pack(parameters_, bucket.params, bucket.offsets, bucket.send);
  // Non-blocking: separate buffers (see ReduceBackend::start).
  backend_.start(bucket.send.data_ptr<float>(), bucket.recv.data_ptr<float>(),
                 static_cast<std::size_t>(bucket.send.numel()));
  bucket.in_place = false;
  bucket.launched = true;
}

void BucketedGradientSync::finish() {
  // Buckets not launched during backward (parameters unused in this step never fire their
  // hook; or no hook ran, as in benchmarks): reduce them now, in order, with the blocking
  // collective, since there is nothing left to overlap with.
  torch::NoGradGuard no_grad;
  while (next_to_launch_ < buckets_.size()) {
    Bucket& bucket = buckets_[next_to_launch_++];
    pack(parameters_, bucket.params, bucket.offsets, bucket.send);
    // Blocking, in place when the gradients live in the send buffer: the sum lands in .grad().
    bucket.in_place = grads_in_buffers_;
    float* send = bucket.send.data_ptr<float>();
    backend_.reduce_now(send, bucket.in_place ? send : bucket.recv.data_ptr<float>(),
                        static_cast<std::size_t>(bucket.send.numel()));
    bucket.launched = true;
  }
  backend_.wait_all();
  for (auto& bucket : buckets_)
    unpack(parameters_, bucket.params, bucket.offsets, bucket.in_place ? bucket.send : bucket.recv,
           grads_in_buffers_ ? &bucket.send : nullptr);
}

std::unique_ptr<GradientSync> make_gradient_sync(const std::string& kind,
                                                 std::vector<torch::Tensor> parameters,
                                                 ReduceBackend& backend, double bucket_mb,
                                                 FlatParameters* flat) {
  if (kind == "flat")
    return std::make_unique<FlatGradientSync>(std::move(parameters), backend, flat);
  if (kind == "bucketed")
    return std::make_unique<BucketedGradientSync>(std::move(parameters), backend, bucket_mb, flat);
  GALIEN_USER_ERROR("trainer.gradient_sync '" << kind << "' is not one of bucketed, flat");
}

}  // namespace galien
