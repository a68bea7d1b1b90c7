// Survival: one log-risk per sample, /time and /event from the shards; training loss the Cox
// partial likelihood (cox: Efron's ties, the default; cox_breslow) over the whole global batch;
// evaluation: that likelihood over the whole split per event, Harrell's C-index, the number of
// events; predictions "risk", "time", "event".
//
// The Cox partial likelihood is not a sum over samples: every event's term depends on the whole
// risk set. So ranks exchange their log-risks, times and events (a few floats per sample), each
// rank evaluates the likelihood of the whole global batch with only its own log-risks attached to
// the graph, and the summed gradients equal those of one process holding the whole batch: the
// risk sets span the global batch, not a rank's half of it.
#include <torch/types.h>

#include <cmath>

#include "trainers/observability/metrics.h"
#include "trainers/tasks/task.h"

namespace galien {
namespace {

class Survival : public TrainingTask {
 public:
  using TrainingTask::TrainingTask;

  std::vector<std::string> batch_fields() const override { return {"/time", "/event"}; }

  void load_fields(const RankShards& shards, const RankBatch& part, Batch& batch,
                   const torch::TensorOptions& options) const override {
    const auto n = static_cast<std::int64_t>(part.samples.size());
    batch.time = torch::empty({n}, options.dtype(torch::kFloat32));
    batch.event = torch::empty({n}, options.dtype(torch::kFloat32));
    shards.gather_survival(part.samples, batch.time.data_ptr<float>(), batch.event.data_ptr<float>());
  }

  StepLoss training_loss(const torch::Tensor& output, const Batch& batch, double /*normaliser*/,
                         int micro_batches) const override {
    auto risk = output.reshape({-1});
    const auto n = risk.size(0);
    LossInputs in;
    if (comm_.size() == 1) {
      in = {risk, {}, {}, batch.time, batch.event, batch.weights};
    } else {
      // One exchange of [risk, time, event, weight] per sample; padding has weight 0.
      auto packed = torch::stack({risk.detach().to(torch::kFloat32), batch.time, batch.event,
                                  batch.weights}, 1).to(torch::kCPU).contiguous();
      std::vector<float> mine(packed.data_ptr<float>(), packed.data_ptr<float>() + packed.numel());
      std::vector<std::int64_t> offsets;
      auto all = comm_.allgather(mine, &offsets);
      const auto total = static_cast<std::int64_t>(all.size()) / 4;
      auto gathered =
          torch::from_blob(all.data(), {total, 4}, torch::kFloat32).clone().to(risk.device());
      const std::int64_t begin = offsets[static_cast<std::size_t>(comm_.rank())] / 4;
      // Only this rank's log-risks carry gradients; the others enter as constants.
      auto others = gathered.select(1, 0);
      in.output = torch::cat({others.narrow(0, 0, begin).to(risk.dtype()), risk,
                              others.narrow(0, begin + n, total - begin - n).to(risk.dtype())});
      in.time = gathered.select(1, 1);
      in.event = gathered.select(1, 2);
      in.weights = gathered.select(1, 3);
    }
    auto nll = loss_.sum(in);
    const double events = (in.event * in.weights).sum().item<double>();
    // No event in this global batch: no information, but the graph still reaches every parameter
    // so that every rank's gradient hooks fire alike.
    auto objective = events > 0 ? nll / (events * micro_batches) : risk.sum() * 0.0;
    // Every rank holds the same global value: rank 0 reports it, once.
    const bool root = comm_.is_root();
    return {objective, root ? nll.detach() : torch::zeros({}, risk.options()), root ? events : 0.0};
  }

  int eval_columns() const override { return 3; }  // risk, time, event

  void collect(const torch::Tensor& output, const Batch& batch, EvalValues& mine) const override {
    append_floats(mine.floats[0], output.reshape({-1}));
    append_floats(mine.floats[1], batch.time);
    append_floats(mine.floats[2], batch.event);
  }

  // "loss": the task's likelihood of the whole split per event, in double precision.
  void summarise(const EvalValues& all, Evaluation& result) const override {
    Predictions& p = result.predictions;
    p.columns = {"risk", "time", "event"};
    p.values = {to_doubles(all.floats[0]), to_doubles(all.floats[1]), to_doubles(all.floats[2])};
    const std::vector<double>& risk = p.values[0];
    const std::vector<double>& time = p.values[1];
    const std::vector<double>& event = p.values[2];
    std::vector<std::int64_t> events(event.begin(), event.end());
    const auto n = static_cast<std::int64_t>(risk.size());
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    LossInputs in;
    in.output = torch::from_blob(const_cast<double*>(risk.data()), {n}, opts);
    in.time = torch::from_blob(const_cast<double*>(time.data()), {n}, opts);
    in.event = torch::from_blob(const_cast<double*>(event.data()), {n}, opts);
    in.weights = torch::ones({n}, opts);
    const double num_events = in.event.sum().item<double>();
    const double nll = loss_.sum(in).item<double>();
    result.metrics = {{"loss", num_events > 0 ? nll / num_events : std::nan("")},
                      {"c_index", concordance_index(risk, time, events)},
                      {"events", num_events}};
  }

 protected:
  // Unused: training_loss above gathers the global batch's risk sets itself.
  LossInputs loss_inputs(const torch::Tensor& output, const Batch& batch) const override {
    return {output.reshape({-1}), {}, {}, batch.time, batch.event, batch.weights};
  }
};

}  // namespace

std::unique_ptr<TrainingTask> make_survival_task(const TaskContext& context) {
  return std::make_unique<Survival>(context);
}

}  // namespace galien
