// Regression: one value per sample, /target from the shards, standardised with the train
// split's mean and standard deviation (the model predicts the standardised value); training loss
// mse; evaluation in raw units: "loss" (mean squared error of the standardised target, the
// training loss's scale), "mse", "rmse", "mae", "r2"; predictions "prediction", "target".
#include <torch/types.h>

#include <cmath>

#include "trainers/tasks/task.h"

namespace galien {
namespace {

class Regression : public TrainingTask {
 public:
  explicit Regression(const TaskContext& context) : TrainingTask(context) {
    spec_.target_mean = context.manifest.target_mean;
    spec_.target_std = context.manifest.target_std > 0 ? context.manifest.target_std : 1.0;
  }

  std::vector<std::string> batch_fields() const override { return {"/target"}; }

  void load_fields(const RankShards& shards, const RankBatch& part, Batch& batch,
                   const torch::TensorOptions& options) const override {
    batch.target = torch::empty({static_cast<std::int64_t>(part.samples.size())},
                                options.dtype(torch::kFloat32));
    shards.gather_targets(part.samples, batch.target.data_ptr<float>());
  }

  int eval_columns() const override { return 2; }  // prediction (raw units), target

  void collect(const torch::Tensor& output, const Batch& batch, EvalValues& mine) const override {
    append_floats(mine.floats[0], output.reshape({-1}) * spec_.target_std + spec_.target_mean);
    append_floats(mine.floats[1], batch.target);
  }

  // In double precision over the whole split; "loss" is the mean of the mse terms.
  void summarise(const EvalValues& all, Evaluation& result) const override {
    Predictions& p = result.predictions;
    p.columns = {"prediction", "target"};
    p.values = {to_doubles(all.floats[0]), to_doubles(all.floats[1])};
    const std::vector<double>& predicted = p.values[0];
    const std::vector<double>& target = p.values[1];
    const double n = static_cast<double>(target.size());
    double mean = 0, sse = 0, sae = 0, sst = 0;
    for (double t : target) mean += t / n;
    for (std::size_t i = 0; i < target.size(); ++i) {
      const double e = predicted[i] - target[i];
      sse += e * e;
      sae += std::abs(e);
      sst += (target[i] - mean) * (target[i] - mean);
    }
    const double mse = sse / n;
    result.metrics = {{"loss", mse / (spec_.target_std * spec_.target_std)},
                      {"mse", mse},
                      {"rmse", std::sqrt(mse)},
                      {"mae", sae / n},
                      {"r2", sst > 0 ? 1.0 - sse / sst : std::nan("")}};
  }

 protected:
  // The standardised target (t - mean) / std, the model's output scale.
  LossInputs loss_inputs(const torch::Tensor& output, const Batch& batch) const override {
    LossInputs in{output};
    in.target = (batch.target - spec_.target_mean) / spec_.target_std;
    return in;
  }
};

}  // namespace

std::unique_ptr<TrainingTask> make_regression_task(const TaskContext& context) {
  return std::make_unique<Regression>(context);
}

}  // namespace galien
