// The fused optimiser (optim.fused, trainers/loop/flat_optimizer.h): parameters as views of one flat
// buffer, LibTorch's Adam / AdamW / SGD formulas in one pass, checkpoints in LibTorch's layout.
#include <gtest/gtest.h>

#include <c10/core/CPUAllocator.h>
#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/config/config.h"
#include "core/error.h"
#include "models/registry.h"
#include "trainers/loop/checkpoint.h"
#include "trainers/loop/flat_optimizer.h"
#include "trainers/loop/flat_parameters.h"
#include "trainers/loop/optimizer.h"

namespace galien {
namespace {

using Kernel = FlatOptimizer::Kernel;

const std::string kDir = std::string(GALIEN_TEST_TMP) + "/flat-optimizer";

// A small MLP (8 -> 32 -> 16 -> 3: six parameter tensors, ~900 values) and one fixed batch.
std::shared_ptr<Model> small_mlp(std::uint64_t seed) {
  torch::manual_seed(seed);
  ModelConfig config;
  config.name = "mlp";
  config.hidden = {32, 16};
  return make_model(config, {8, 3});
}

struct FixedBatch {
  torch::Tensor x, y;
};
FixedBatch fixed_batch() {
  torch::manual_seed(99);
  return {torch::randn({24, 8}), torch::randint(0, 3, {24}, torch::kLong)};
}

// Gradients of the mean cross-entropy on the batch, accumulated into the (zeroed) .grad().
void backward_on(Model& model, const FixedBatch& batch) {
  for (auto& p : model.parameters())
    if (p.grad().defined()) p.mutable_grad().zero_();
  torch::nn::functional::cross_entropy(model.forward(batch.x), batch.y).backward();
}

void copy_parameters(Model& from, Model& to) {
  torch::NoGradGuard no_grad;
  auto a = from.parameters(), b = to.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
}

void copy_gradients(Model& from, Model& to) {
  torch::NoGradGuard no_grad;
  auto a = from.parameters(), b = to.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (b[i].grad().defined())
      b[i].mutable_grad().copy_(a[i].grad());
    else
      b[i].mutable_grad() = a[i].grad().clone();
  }
}

struct Difference {
  double absolute = 0, relative = 0;  // max over elements; relative = |a-b| / max(|a|, 1e-3)
};
Difference difference(Model& a, Model& b) {
  Difference d;
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    auto x = pa[i].detach().to(torch::kFloat64), y = pb[i].detach().to(torch::kFloat64);
    auto diff = (x - y).abs();
    d.absolute = std::max(d.absolute, diff.max().item<double>());
    d.relative = std::max(d.relative, (diff / x.abs().clamp_min(1e-3)).max().item<double>());
  }
  return d;
}

double distance_moved(Model& a, Model& initial) { return difference(a, initial).absolute; }

OptimConfig optim(const std::string& name, double lr, double weight_decay, double momentum = 0.9,
                  bool nesterov = false) {
  OptimConfig c;
  c.name = name;
  c.learning_rate = lr;
  c.weight_decay = weight_decay;
  c.momentum = momentum;
  c.nesterov = nesterov;
  return c;
}

// A learning rate that changes every step, as a schedule sets it.
double lr_at(const OptimConfig& config, int step) {
  return config.learning_rate * (1.0 + 0.5 * std::sin(0.3 * step));
}

struct Case {
  std::string label;
  OptimConfig config;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }
void PrintTo(Kernel k, std::ostream* os) { *os << (k == Kernel::kLoop ? "loop" : "tensor ops"); }

std::vector<Case> cases() {
  return {{"adam_wd", optim("adam", 1e-2, 1e-4)},
          {"adam_no_wd", optim("adam", 1e-2, 0)},
          {"adamw_wd", optim("adamw", 1e-2, 1e-2)},
          {"sgd_momentum_wd", optim("sgd", 5e-2, 1e-3, 0.9)},
          {"sgd_nesterov_wd", optim("sgd", 5e-2, 1e-3, 0.9, true)},
          {"sgd_plain", optim("sgd", 5e-2, 0, 0)}};
}

class FlatVsLibTorch : public ::testing::TestWithParam<std::tuple<Case, Kernel>> {};

// 100 steps of LibTorch's optimiser and of the flat one from the same initial weights, fed the
// same gradients at every step (LibTorch's model's gradients, copied into the flat buffer):
// every parameter stays within 1e-6 absolute of LibTorch's (the two round a few elements
// differently: LibTorch's add_ uses a fused multiply-add, flat_kernels.h).
TEST_P(FlatVsLibTorch, HundredStepsStayWithin1e6OfLibTorch) {
  const auto& [c, kernel] = GetParam();
  auto reference = small_mlp(1), fused = small_mlp(2), initial = small_mlp(1);
  copy_parameters(*reference, *fused);
  auto libtorch = make_libtorch_optimizer(c.config, reference->parameters());
  FlatOptimizer flat(c.config, fused->parameters(), kernel);
  EXPECT_EQ(flat.uses_loop(), kernel == Kernel::kLoop);
  const FixedBatch batch = fixed_batch();
  Difference worst;
  for (int step = 0; step < 100; ++step) {
    backward_on(*reference, batch);
    copy_gradients(*reference, *fused);
    set_learning_rate(*libtorch, lr_at(c.config, step));
    set_learning_rate(flat, lr_at(c.config, step));
    libtorch->step();
    flat.step();
    const Difference d = difference(*reference, *fused);
    worst.absolute = std::max(worst.absolute, d.absolute);
    worst.relative = std::max(worst.relative, d.relative);
  }
  std::ostringstream shown;
  shown << std::scientific << worst.absolute << " absolute, " << worst.relative << " relative";
  RecordProperty("max_difference", shown.str());
  EXPECT_LE(worst.absolute, 1e-6) << c.label << ": max relative " << worst.relative;
  EXPECT_GT(distance_moved(*reference, *initial), 1e-2) << "the parameters barely moved";
  EXPECT_EQ(flat.steps(), 100);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, FlatVsLibTorch,
    ::testing::Combine(::testing::ValuesIn(cases()),
                       ::testing::Values(Kernel::kLoop, Kernel::kTensorOps)),
    [](const auto& info) {
      return std::get<0>(info.param).label +
             (std::get<1>(info.param) == Kernel::kLoop ? "_loop" : "_tensor_ops");
    });

TEST(FlatParameters, ParametersAndGradientsAreViewsOfOneBufferKeepingValuesAndLayout) {
  torch::manual_seed(3);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 4, 3)),
                            torch::nn::Flatten(), torch::nn::Linear(4 * 4 * 4, 3));
  auto params = net->parameters();
  {  // a channels-last convolution weight keeps its strides (trainer.channels_last)
    torch::NoGradGuard no_grad;
    params[0].set_data(params[0].data().contiguous(at::MemoryFormat::ChannelsLast));
  }
  std::vector<torch::Tensor> before;
  for (const auto& p : params) before.push_back(p.detach().clone());
  const auto strides0 = params[0].strides().vec();
  FlatParameters flat(params);
  const auto* base = static_cast<const float*>(flat.values().data_ptr());
  const auto* grad_base = static_cast<const float*>(flat.gradients().data_ptr());
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].data_ptr(), base + flat.offset(i)) << "parameter " << i;
    EXPECT_EQ(flat.offset(i) % 16, 0) << "parameter " << i << " is not 64-byte aligned";
    EXPECT_TRUE(torch::equal(params[i], before[i])) << "parameter " << i << " changed value";
    ASSERT_TRUE(params[i].grad().defined());
    EXPECT_EQ(params[i].grad().data_ptr(), grad_base + flat.offset(i));
  }
  EXPECT_EQ(params[0].strides().vec(), strides0);
  EXPECT_TRUE(params[0].is_contiguous(at::MemoryFormat::ChannelsLast));
  // Backward accumulates into the flat gradient buffer.
  net->forward(torch::randn({5, 2, 6, 6})).sum().backward();
  EXPECT_GT(flat.gradients().abs().sum().item<double>(), 0);
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_EQ(params[i].grad().data_ptr(), grad_base + flat.offset(i));
  flat.zero_gradients();
  EXPECT_EQ(flat.gradients().abs().sum().item<double>(), 0);
}

TEST(FlatParameters, EnsureViewsRebindsAParameterWhoseStorageWasReplaced) {
  auto model = small_mlp(4);
  auto params = model->parameters();
  FlatParameters flat(params);
  const auto replacement = torch::full_like(params[2], 0.25);
  {
    torch::NoGradGuard no_grad;
    params[2].set_(replacement.clone());  // what Module::load does to every parameter
  }
  const auto* home = static_cast<const float*>(flat.values().data_ptr()) + flat.offset(2);
  EXPECT_NE(params[2].data_ptr(), home);
  flat.ensure_views();
  EXPECT_EQ(params[2].data_ptr(), home);
  EXPECT_TRUE(torch::equal(params[2], replacement));
  {  // another shape is refused: a checkpoint of another model
    torch::NoGradGuard no_grad;
    params[2].set_(torch::zeros({7}));
  }
  EXPECT_THROW(flat.ensure_views(), UserError);
}

TEST(FlatParameters, WhyNotNamesWhatCannotShareOneBuffer) {
  auto model = small_mlp(5);
  auto params = model->parameters();
  EXPECT_EQ(FlatParameters::why_not(params), "");
  auto mixed = params;
  mixed[1] = mixed[1].detach().to(torch::kFloat64).requires_grad_();
  EXPECT_NE(FlatParameters::why_not(mixed).find("not float32"), std::string::npos);
  auto tied = params;
  tied.push_back(params[0]);
  EXPECT_NE(FlatParameters::why_not(tied).find("tied"), std::string::npos);
  // make_optimizer falls back to LibTorch's optimiser (and logs why) rather than failing.
  OptimConfig config;
  auto fallback = make_optimizer(config, mixed);
  EXPECT_EQ(flat_parameters(*fallback), nullptr);
  auto fused = make_optimizer(config, params);
  EXPECT_NE(flat_parameters(*fused), nullptr);
  config.fused = false;
  EXPECT_EQ(flat_parameters(*make_optimizer(config, small_mlp(6)->parameters())), nullptr);
}

TEST(FlatOptimizer, ClippingTheFlatBufferEqualsClippingEachParameter) {
  auto a = small_mlp(7), b = small_mlp(8);
  copy_parameters(*a, *b);
  FlatParameters flat(b->parameters());
  const FixedBatch batch = fixed_batch();
  backward_on(*a, batch);
  backward_on(*b, batch);
  const double per_parameter = clip_gradient_norm(a->parameters(), 0.01);
  const double flat_norm = clip_gradient_norm(flat.gradients(), 0.01);
  EXPECT_NEAR(flat_norm, per_parameter, 1e-9 * per_parameter);
  ASSERT_GT(per_parameter, 0.01) << "the test needs a norm above the limit";
  auto pa = a->parameters(), pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    EXPECT_LE((pa[i].grad() - pb[i].grad()).abs().max().item<double>(), 1e-9);
  EXPECT_NEAR(clip_gradient_norm(flat.gradients(), 0), 0.01, 1e-6);
}

// Training steps of `model` on the fixed batch with its own gradients.
void train_steps(Model& model, torch::optim::Optimizer& optimizer, int steps) {
  const FixedBatch batch = fixed_batch();
  for (int s = 0; s < steps; ++s) {
    if (auto* flat = flat_parameters(optimizer)) flat->zero_gradients();
    backward_on(model, batch);
    optimizer.step();
  }
}

// One file per test and name: ctest runs the tests of this binary in parallel processes.
std::string save_to_file(Model& model, const torch::optim::Optimizer& optimizer,
                         const std::string& name) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string id = std::string(test->test_suite_name()) + "." + test->name();
  std::replace(id.begin(), id.end(), '/', '_');  // parameterised names hold slashes
  const std::string dir = kDir + "/" + id;
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << serialize_checkpoint(model, optimizer, TrainingState{});
  return path;
}

std::vector<float> values_of(Model& model) {
  std::vector<float> out;
  for (const auto& p : model.parameters()) {
    auto c = p.detach().contiguous();
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

TEST(FlatOptimizer, ResumingAFusedCheckpointIsBitExact) {
  const OptimConfig config = optim("adam", 3e-3, 1e-4);
  auto uninterrupted = small_mlp(10);
  FlatOptimizer a(config, uninterrupted->parameters());
  train_steps(*uninterrupted, a, 10);
  const std::string path = save_to_file(*uninterrupted, a, "fused.pt");
  train_steps(*uninterrupted, a, 10);

  auto resumed = small_mlp(11);  // other initial weights: all must come from the checkpoint
  FlatOptimizer b(config, resumed->parameters());
  load_checkpoint(path, *resumed, b);
  EXPECT_EQ(b.steps(), 10);
  train_steps(*resumed, b, 10);
  EXPECT_EQ(values_of(*resumed), values_of(*uninterrupted)) << "resume must be bitwise exact";
  // The loaded parameters are views of the flat buffer again (Module::load replaced them).
  const auto* base = static_cast<const float*>(b.flat().values().data_ptr());
  auto params = resumed->parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_EQ(params[i].data_ptr(), base + b.flat().offset(i));
}

class CheckpointAcrossModes : public ::testing::TestWithParam<Case> {};

// A checkpoint written by LibTorch's optimiser (optim.fused: false) resumes in the fused one
// and vice versa: the state is in LibTorch's per-parameter layout either way. After 15 steps
// from the checkpoint with the same gradients, the two continuations agree to 1e-6.
TEST_P(CheckpointAcrossModes, LibTorchToFusedAndFusedToLibTorch) {
  const OptimConfig& config = GetParam().config;
  for (const bool from_libtorch : {true, false}) {
    SCOPED_TRACE(from_libtorch ? "LibTorch -> fused" : "fused -> LibTorch");
    auto writer = small_mlp(20);
    auto writer_optimizer = from_libtorch
                                ? make_libtorch_optimizer(config, writer->parameters())
                                : std::unique_ptr<torch::optim::Optimizer>(
                                      new FlatOptimizer(config, writer->parameters()));
    train_steps(*writer, *writer_optimizer, 12);
    const std::string path = save_to_file(*writer, *writer_optimizer,
                                           from_libtorch ? "from-libtorch.pt" : "from-fused.pt");

    auto reader = small_mlp(21);
    auto reader_optimizer = from_libtorch
                                ? std::unique_ptr<torch::optim::Optimizer>(
                                      new FlatOptimizer(config, reader->parameters()))
                                : make_libtorch_optimizer(config, reader->parameters());
    load_checkpoint(path, *reader, *reader_optimizer);
    EXPECT_EQ(values_of(*reader), values_of(*writer));
    const FixedBatch batch = fixed_batch();
    for (int step = 0; step < 15; ++step) {
      if (auto* flat = flat_parameters(*writer_optimizer)) flat->zero_gradients();
      if (auto* flat = flat_parameters(*reader_optimizer)) flat->zero_gradients();
      backward_on(*writer, batch);
      copy_gradients(*writer, *reader);
      writer_optimizer->step();
      reader_optimizer->step();
    }
    // Without the loaded state (fresh moments) the continuations would differ far more.
    EXPECT_LE(difference(*writer, *reader).absolute, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, CheckpointAcrossModes,
                         ::testing::Values(cases()[0], cases()[2], cases()[4]),
                         [](const auto& info) { return info.param.label; });

TEST(FlatOptimizer, ACheckpointWithoutStateLoadsAsAFreshOptimiser) {
  const OptimConfig config = optim("adam", 1e-3, 0);
  auto model = small_mlp(30);
  auto libtorch = make_libtorch_optimizer(config, model->parameters());  // no step: no state
  const std::string path = save_to_file(*model, *libtorch, "empty.pt");
  auto other = small_mlp(31);
  FlatOptimizer flat(config, other->parameters());
  train_steps(*other, flat, 3);
  load_checkpoint(path, *other, flat);
  EXPECT_EQ(flat.steps(), 0);
  EXPECT_EQ(values_of(*other), values_of(*model));
}

// Counts tensor allocations on the CPU (c10's CPU allocator, which every CPU tensor's storage
// comes from) while installed.
struct CountingAllocator final : c10::Allocator {
  c10::Allocator* base = c10::GetCPUAllocator();
  mutable std::atomic<long> count{0};
  c10::DataPtr allocate(size_t n) const override {
    ++count;
    return base->allocate(n);
  }
  c10::DeleterFnPtr raw_deleter() const override { return base->raw_deleter(); }
};

long tensor_allocations(const std::function<void()>& work) {
  static CountingAllocator counter;
  c10::SetCPUAllocator(&counter, /*priority=*/100);
  counter.count = 0;
  work();
  const long n = counter.count;
  c10::SetCPUAllocator(counter.base, /*priority=*/100);
  return n;
}

TEST(FlatOptimizer, TheLoopKernelsStepAndZeroingAllocateNoTensor) {
  for (const Case& c : cases()) {
    auto model = small_mlp(40);
    FlatOptimizer flat(c.config, model->parameters(), Kernel::kLoop);
    train_steps(*model, flat, 2);  // past the first step (SGD's momentum buffer starts)
    const long n = tensor_allocations([&] {
      for (int s = 0; s < 5; ++s) {
        flat.flat().zero_gradients();
        set_learning_rate(flat, 1e-3 * (s + 1));
        flat.step();
      }
    });
    EXPECT_EQ(n, 0) << c.label;
  }
  // The counter sees allocations: LibTorch's Adam allocates temporaries every step.
  auto model = small_mlp(41);
  auto libtorch = make_libtorch_optimizer(optim("adam", 1e-3, 1e-4), model->parameters());
  train_steps(*model, *libtorch, 2);
  EXPECT_GT(tensor_allocations([&] { libtorch->step(); }), 0);
}

}  // namespace
}  // namespace galien
