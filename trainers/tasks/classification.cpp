// Classification: class logits per sample, /labels from the shards; training loss ce (default)
// or focal; evaluation: that loss per sample, accuracy, AUC and the rest of
// classification_metrics (trainers/observability/metrics.h), with trainer.patient_metrics the same on each
// patient's mean probability (trainers/observability/patient_metrics.h), predictions "label" + "prob_<class>".
#include <torch/types.h>

#include "core/error.h"
#include "trainers/observability/metrics.h"
#include "trainers/observability/patient_metrics.h"
#include "trainers/tasks/task.h"

namespace galien {
namespace {

// n / (classes * count_c) from the train split's class counts (trainer.class_weights: balanced).
torch::Tensor balanced_class_weights(const Manifest& manifest) {
  const auto& counts = manifest.splits.at("train").class_counts;
  std::vector<float> weights;
  double total = 0;
  for (auto c : counts) total += static_cast<double>(c);
  for (auto c : counts)
    weights.push_back(c > 0 ? static_cast<float>(total / (counts.size() * static_cast<double>(c))) : 0.f);
  return torch::tensor(weights);
}

class Classification : public TrainingTask {
 public:
  explicit Classification(const TaskContext& context) : TrainingTask(context) {
    spec_.num_classes = static_cast<int>(context.manifest.classes.size());
    if (spec_.num_classes < 2)
      GALIEN_USER_ERROR(context.shard_dir << "/manifest.json: a classification dataset needs at "
                        << "least 2 classes, found " << spec_.num_classes << "; check data.classes");
    spec_.num_outputs = spec_.num_classes;
    patient_metrics_ = context.config.trainer.patient_metrics;
    if (context.config.trainer.class_weights == "balanced") {
      eval_class_weights_ = balanced_class_weights(context.manifest);
      class_weights_ = eval_class_weights_.to(context.device);
    }
  }

  std::vector<std::string> batch_fields() const override { return {"/labels"}; }
  bool uses_class_weights() const override { return true; }

  int eval_columns() const override { return 2; }  // probabilities (K per sample), losses

  void collect(const torch::Tensor& output, const Batch& batch, EvalValues& mine) const override {
    LossInputs in{output, batch.labels};
    in.class_weights = eval_class_weights_;
    append_floats(mine.floats[1], loss_.terms(in));
    append_floats(mine.floats[0], torch::softmax(output, 1));
    mine.ints.insert(mine.ints.end(), batch.labels.data_ptr<std::int64_t>(),
                     batch.labels.data_ptr<std::int64_t>() + batch.labels.numel());
  }

  void summarise(const EvalValues& all, Evaluation& result) const override {
    const std::vector<float>& probabilities = all.floats[0];
    result.metrics = classification_metrics(probabilities, all.ints, all.floats[1], spec_.num_classes);
    if (patient_metrics_)  // evaluate_split has put the samples' pseudonyms in first
      for (const auto& [name, value] :
           patient_classification_metrics(result.predictions.pseudonyms, probabilities, all.ints,
                                          all.floats[1], spec_.num_classes))
        result.metrics[name] = value;
    Predictions& p = result.predictions;
    p.columns.push_back("label");
    p.values.emplace_back(all.ints.begin(), all.ints.end());
    const auto k = static_cast<std::size_t>(spec_.num_classes);
    for (std::size_t c = 0; c < k; ++c) {
      p.columns.push_back("prob_" + std::to_string(c));
      std::vector<double> column;
      for (std::size_t r = c; r < probabilities.size(); r += k) column.push_back(probabilities[r]);
      p.values.push_back(std::move(column));
    }
  }

 protected:
  LossInputs loss_inputs(const torch::Tensor& output, const Batch& batch) const override {
    LossInputs in{output, batch.labels};
    in.class_weights = class_weights_;
    return in;
  }

 private:
  torch::Tensor class_weights_;       // on the training device; undefined = none
  torch::Tensor eval_class_weights_;  // the same on the CPU, where evaluation computes
  bool patient_metrics_ = false;      // trainer.patient_metrics: patient/<metric> too
};

}  // namespace

std::unique_ptr<TrainingTask> make_classification_task(const TaskContext& context) {
  return std::make_unique<Classification>(context);
}

}  // namespace galien
