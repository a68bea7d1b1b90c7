// The task objects (trainers/tasks/) and their registry, on 2 MPI ranks: the registry refuses an
// unknown task, a loss the task does not accept and a model that does not serve the task, each
// naming the key; each task's training loss equals a reference computed directly with LibTorch
// (for Cox across the two ranks: the global batch's likelihood and its gradient); the evaluation
// loss is the training loss's per-sample mean.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/config/config.h"
#include "core/config/tasks.h"
#include "core/error.h"
#include "models/loss_registry.h"
#include "models/losses.h"
#include "models/registry.h"
#include "trainers/distributed/comm.h"
#include "trainers/tasks/registry.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

using test::user_error_of;

const torch::Device kCpu(torch::kCPU);

// A config as a file `cfg.yaml` would give it: the messages then start with cfg.yaml:LINE:COLUMN.
Config config_of(const std::string& yaml) { return load_config_text(yaml, "cfg.yaml"); }

Manifest manifest_of(const std::string& task, std::vector<std::int64_t> class_counts = {}) {
  Manifest m;
  m.task = task;
  if (task == "classification") m.classes = {"a", "b", "c"};
  m.splits["train"].class_counts = std::move(class_counts);
  m.target_mean = 10.0;
  m.target_std = 4.0;
  return m;
}

std::unique_ptr<TrainingTask> task_for(const std::string& yaml, const Manifest& manifest,
                                       const Comm& comm = Comm::world()) {
  return make_task(config_of(yaml), manifest, {}, "shards", comm, kCpu);
}

// A batch of `n` samples whose last `padding` are zero-weight copies.
Batch batch_of(std::int64_t n, std::int64_t padding) {
  Batch b;
  b.weights = torch::ones({n});
  if (padding > 0) b.weights.narrow(0, n - padding, padding).zero_();
  b.num_real = n - padding;
  return b;
}

// ---- Registry -------------------------------------------------------------------------------

TEST(TaskRegistry, CatalogAndTaskObjectsNameTheSameTasks) {
  EXPECT_EQ(registered_tasks(), task_names());
}

TEST(TaskRegistry, EveryLossACatalogTaskAcceptsHasAFunction) {
  const std::vector<std::string> functions = loss_names();
  for (const TaskInfo& task : task_catalog())
    for (const std::string& loss : task.losses)
      EXPECT_NE(std::find(functions.begin(), functions.end(), loss), functions.end())
          << task.name << " accepts " << loss << " but models/loss_registry.cpp has no " << loss;
}

TEST(TaskRegistry, DefaultLossesAreTodaysAndBatchFieldsFollowTheTask) {
  const std::string plain = "model:\n  name: mlp\n";
  auto classification = task_for(plain, manifest_of("classification"));
  EXPECT_EQ(classification->loss().name, "ce");
  EXPECT_EQ(classification->spec().num_outputs, 3);
  EXPECT_EQ(classification->batch_fields(), std::vector<std::string>{"/labels"});
  auto survival = task_for(plain, manifest_of("survival"));
  EXPECT_EQ(survival->loss().name, "cox");
  EXPECT_EQ(survival->spec().num_outputs, 1);
  EXPECT_EQ(survival->batch_fields(), (std::vector<std::string>{"/time", "/event"}));
  auto regression = task_for(plain, manifest_of("regression"));
  EXPECT_EQ(regression->loss().name, "mse");
  EXPECT_EQ(regression->batch_fields(), std::vector<std::string>{"/target"});
  EXPECT_EQ(regression->info().monitor, "val/loss");
}

TEST(TaskRegistry, UnknownTaskInTheShardsNamesTheManifest) {
  const std::string message =
      user_error_of([] { task_for("model:\n  name: mlp\n", manifest_of("detection")); });
  EXPECT_CONTAINS(message, "shards/manifest.json: task 'detection' is not one this trainer knows");
  EXPECT_CONTAINS(message, "classification, survival, regression, segmentation");
}

TEST(TaskRegistry, LossTheShardsTaskDoesNotAcceptNamesKeyTaskAndAllowedValues) {
  // Valid for the config's own data.task (classification), not for the shards' (survival).
  const std::string message = user_error_of([] {
    task_for("model:\n  name: mlp\ntrainer:\n  loss: focal\n", manifest_of("survival"));
  });
  EXPECT_CONTAINS(message, "cfg.yaml:4:9: trainer.loss 'focal' is not a loss of task survival");
  EXPECT_CONTAINS(message, "allowed for survival: cox (default), cox_breslow, or auto (= cox)");
}

TEST(TaskRegistry, ModelThatDoesNotServeTheTaskNamesTheKeyAndTheAlternatives) {
  const std::string cox = user_error_of(
      [] { task_for("model:\n  name: deepsurv\n", manifest_of("classification")); });
  EXPECT_CONTAINS(cox, "cfg.yaml:2:9: model.name deepsurv serves survival, but the shards in "
                       "shards hold a classification dataset");
  EXPECT_CONTAINS(cox, "shard with data.task: survival (data.time and data.event)");
  EXPECT_CONTAINS(cox, "choose a model for classification: fusion, mlp, resnet2d, resnet3d, tf_cnn");
  const std::string unet = user_error_of(
      [] { task_for("model:\n  name: unet3d\n", manifest_of("classification")); });
  EXPECT_CONTAINS(unet, "model.name unet3d serves segmentation, but the shards in shards hold a "
                        "classification dataset");
  EXPECT_CONTAINS(unet, "shard with data.task: segmentation");
  // A table model on segmentation shards is refused, naming the segmentation models.
  const std::string mlp = user_error_of(
      [] { task_for("model:\n  name: mlp\n", manifest_of("segmentation")); });
  EXPECT_CONTAINS(mlp, "choose a model for segmentation: unet2d, unet3d");
  EXPECT_EQ(model_tasks("cox_linear"), std::vector<std::string>{"survival"});
}

TEST(TaskRegistry, ClassWeightsOnlyForTasksWithClassLabels) {
  const std::string message = user_error_of([] {
    task_for("model:\n  name: mlp\ntrainer:\n  class_weights: balanced\n", manifest_of("regression"));
  });
  EXPECT_CONTAINS(message, "cfg.yaml:4:18: trainer.class_weights: balanced applies to tasks with "
                           "class labels (classification); this dataset is regression");
}

// ---- Training losses against LibTorch -------------------------------------------------------

// -log softmax(z)[y] per sample, computed without galien.
torch::Tensor reference_nll(const torch::Tensor& logits, const torch::Tensor& labels) {
  return -torch::log_softmax(logits, 1).gather(1, labels.unsqueeze(1)).squeeze(1);
}

TEST(TaskLosses, ClassificationCrossEntropyEqualsLibTorchWithPaddingAndClassWeights) {
  torch::manual_seed(1);
  const auto logits = torch::randn({6, 3});
  const auto labels = torch::tensor({0, 2, 1, 1, 0, 2}, torch::kInt64);
  Manifest m = manifest_of("classification", {10, 30, 20});
  for (const bool balanced : {false, true}) {
    auto task = task_for(std::string("model:\n  name: mlp\ntrainer:\n  class_weights: ") +
                             (balanced ? "balanced\n" : "none\n"), m);
    // n / (classes * count): 60 / (3 * [10, 30, 20]).
    const auto cw = balanced ? torch::tensor({2.0f, 2.0f / 3, 1.0f}) : torch::ones({3});
    for (const std::int64_t padding : {0, 2}) {
      Batch batch = batch_of(6, padding);
      batch.labels = labels;
      const double normaliser = 7.0;  // real samples of the global batch (other ranks too)
      const StepLoss loss = task->training_loss(logits, batch, normaliser, 1);
      const auto expected =
          (reference_nll(logits, labels) * cw.index_select(0, labels) * batch.weights).sum() /
          normaliser;
      EXPECT_NEAR(loss.objective.item<double>(), expected.item<double>(), 1e-6)
          << "balanced " << balanced << ", padding " << padding;
      EXPECT_EQ(loss.reported_count, 6 - padding);
    }
  }
}

TEST(TaskLosses, ClassificationFocalEqualsLibTorchAndFocalAtGammaZeroIsCrossEntropy) {
  torch::manual_seed(2);
  const auto logits = torch::randn({5, 3});
  const auto labels = torch::tensor({2, 0, 1, 2, 2}, torch::kInt64);
  auto task = task_for("model:\n  name: mlp\ntrainer:\n  loss: focal\n", manifest_of("classification"));
  EXPECT_EQ(task->loss().name, "focal");
  Batch batch = batch_of(5, 1);
  batch.labels = labels;
  const auto nll = reference_nll(logits, labels);
  const auto expected = (torch::pow(1 - torch::exp(-nll), 2.0) * nll * batch.weights).sum() / 4.0;
  EXPECT_NEAR(task->training_loss(logits, batch, 4.0, 1).objective.item<double>(),
              expected.item<double>(), 1e-6);
  // Focal with gamma 0 and alpha = class weights is class-weighted cross entropy, term by term.
  const auto alpha = torch::tensor({0.5f, 2.0f, 1.5f});
  EXPECT_TRUE(torch::allclose(focal_terms(logits, labels, 0.0, alpha),
                              cross_entropy_terms(logits, labels, alpha), 1e-6, 1e-7));
  EXPECT_NEAR(focal_loss(logits, labels, batch.weights, 0.0, alpha).item<double>(),
              cross_entropy_sum(logits, labels, batch.weights, alpha).item<double>(), 1e-6);
}

TEST(TaskLosses, RegressionSquaredErrorOfTheStandardisedTargetEqualsLibTorch) {
  auto task = task_for("model:\n  name: mlp\n", manifest_of("regression"));
  const auto output = torch::tensor({{0.5f}, {-1.0f}, {2.0f}, {0.0f}});
  Batch batch = batch_of(4, 1);
  batch.target = torch::tensor({12.0f, 6.0f, 20.0f, 10.0f});  // mean 10, std 4
  const auto expected =
      ((output.reshape({-1}) - (batch.target - 10.0) / 4.0).pow(2) * batch.weights).sum() / 3.0;
  EXPECT_NEAR(task->training_loss(output, batch, 3.0, 1).objective.item<double>(),
              expected.item<double>(), 1e-6);
}

// The Efron negative log partial likelihood written out pair by pair (no ties handling tricks).
torch::Tensor reference_efron(const torch::Tensor& risk, const std::vector<float>& time,
                              const std::vector<float>& event) {
  torch::Tensor nll = torch::zeros({}, torch::kFloat64);
  const auto h = risk.to(torch::kFloat64);
  std::vector<float> times;
  for (std::size_t i = 0; i < time.size(); ++i)
    if (event[i] != 0 && std::find(times.begin(), times.end(), time[i]) == times.end())
      times.push_back(time[i]);
  for (const float t : times) {
    torch::Tensor at_risk = torch::zeros({}, torch::kFloat64), tied = at_risk;
    torch::Tensor tied_h = at_risk;
    double d = 0;
    for (std::size_t j = 0; j < time.size(); ++j) {
      const auto x = torch::exp(h[static_cast<std::int64_t>(j)]);
      if (time[j] >= t) at_risk = at_risk + x;
      if (time[j] == t && event[j] != 0) {
        tied = tied + x;
        tied_h = tied_h + h[static_cast<std::int64_t>(j)];
        d += 1;
      }
    }
    nll = nll - tied_h;
    for (int k = 0; k < static_cast<int>(d); ++k) nll = nll + torch::log(at_risk - (k / d) * tied);
  }
  return nll;
}

TEST(TaskLosses, CoxOverTheGlobalBatchEqualsLibTorchOnEveryRankWithItsGradient) {
  const Comm comm = Comm::world();
  auto task = task_for("model:\n  name: mlp\n", manifest_of("survival"), comm);
  // The global batch: 4 samples per rank, with tied event times across ranks.
  const std::int64_t per_rank = 4, total = per_rank * comm.size();
  std::vector<float> risk_all, time_all, event_all;
  for (std::int64_t i = 0; i < total; ++i) {
    risk_all.push_back(0.3f * static_cast<float>(i % 5) - 0.4f);
    time_all.push_back(static_cast<float>(1 + (i * 7) % 5));
    event_all.push_back(i % 3 == 0 ? 0.0f : 1.0f);
  }
  const std::int64_t begin = per_rank * comm.rank();
  auto slice = [&](const std::vector<float>& v) {
    return torch::tensor(std::vector<float>(v.begin() + begin, v.begin() + begin + per_rank));
  };
  const auto risk = slice(risk_all).reshape({per_rank, 1}).requires_grad_(true);
  Batch batch = batch_of(per_rank, 0);
  batch.time = slice(time_all);
  batch.event = slice(event_all);
  const StepLoss loss = task->training_loss(risk, batch, /*unused*/ 1.0, 1);
  loss.objective.backward();

  const auto full = torch::tensor(risk_all).to(torch::kFloat64).requires_grad_(true);
  double events = 0;
  for (float e : event_all) events += e;
  const auto expected = reference_efron(full, time_all, event_all) / events;
  expected.backward();
  EXPECT_NEAR(loss.objective.item<double>(), expected.item<double>(), 1e-5);
  // This rank's log-risks get the gradient of the global likelihood at their rows.
  const auto mine = full.grad().narrow(0, begin, per_rank).to(torch::kFloat32);
  EXPECT_TRUE(torch::allclose(risk.grad().reshape({-1}), mine, 1e-4, 1e-5))
      << risk.grad() << " vs " << mine;
  // Reported once, by rank 0, over the global batch's events.
  EXPECT_EQ(loss.reported_count, comm.is_root() ? events : 0.0);
}

TEST(TaskLosses, CoxBreslowIsChosenByTrainerLoss) {
  auto efron = task_for("model:\n  name: mlp\n", manifest_of("survival"), Comm::self());
  auto breslow = task_for("data:\n  task: survival\nmodel:\n  name: mlp\ntrainer:\n  loss: cox_breslow\n",
                          manifest_of("survival"), Comm::self());
  EXPECT_EQ(breslow->loss().name, "cox_breslow");
  const auto risk = torch::tensor({0.2f, -0.1f, 0.5f, 0.0f});
  Batch batch = batch_of(4, 0);
  batch.time = torch::tensor({2.0f, 2.0f, 3.0f, 1.0f});  // tied events at 2: Efron != Breslow
  batch.event = torch::tensor({1.0f, 1.0f, 0.0f, 1.0f});
  const double e = efron->training_loss(risk, batch, 1, 1).objective.item<double>();
  const double b = breslow->training_loss(risk, batch, 1, 1).objective.item<double>();
  const auto w = torch::ones({4});
  EXPECT_NEAR(b, cox_loss(risk, batch.time, batch.event, w, CoxTies::kBreslow).item<double>() / 3, 1e-6);
  EXPECT_NEAR(e, cox_loss(risk, batch.time, batch.event, w, CoxTies::kEfron).item<double>() / 3, 1e-6);
  EXPECT_GT(std::abs(e - b), 1e-4);
}

// ---- Evaluation -----------------------------------------------------------------------------

TEST(TaskEvaluation, ClassificationLossIsTheTrainingLossPerSampleMean) {
  torch::manual_seed(3);
  const auto logits = torch::randn({4, 3});
  const auto labels = torch::tensor({1, 0, 2, 2}, torch::kInt64);
  for (const char* loss : {"ce", "focal"}) {
    auto task = task_for(std::string("model:\n  name: mlp\ntrainer:\n  loss: ") + loss + "\n",
                         manifest_of("classification"), Comm::self());
    EvalValues values;
    values.floats.resize(static_cast<std::size_t>(task->eval_columns()));
    Batch batch = batch_of(4, 0);
    batch.labels = labels;
    task->collect(logits, batch, values);
    Evaluation result;
    task->summarise(values, result);
    const double train = task->training_loss(logits, batch, 4.0, 1).objective.item<double>();
    EXPECT_NEAR(result.metrics.at("loss"), train, 1e-6) << loss;
    EXPECT_EQ(result.predictions.columns,
              (std::vector<std::string>{"label", "prob_0", "prob_1", "prob_2"}));
  }
}

}  // namespace
}  // namespace galien
