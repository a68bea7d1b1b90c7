#include "trainers/tasks/task.h"

#include "core/error.h"

namespace galien {

std::int64_t TaskSpec::image_values() const {
  if (image.empty()) return 0;
  std::int64_t n = 1;
  for (auto d : image) n *= d;
  return n;
}

namespace {

const TaskInfo& catalog_entry(const std::string& task) {
  const TaskInfo* info = find_task(task);
  GALIEN_CHECK(info, "task " << task << " is registered but not in core/config/tasks.cpp");
  return *info;
}

}  // namespace

TrainingTask::TrainingTask(const TaskContext& context)
    : spec_(context.spec),
      info_(catalog_entry(context.spec.task)),
      loss_(find_loss(context.loss)),
      comm_(context.comm) {}

StepLoss TrainingTask::training_loss(const torch::Tensor& output, const Batch& batch,
                                     double normaliser, int /*micro_batches*/) const {
  LossInputs in = loss_inputs(output, batch);
  // Without padding the loss needs no weights (one fused op where the loss has one); padded
  // samples need per-sample weights.
  if (batch.num_real < batch.weights.size(0)) in.weights = batch.weights;
  const torch::Tensor sum = loss_.sum(in);
  return {sum / normaliser, sum.detach(), static_cast<double>(batch.num_real)};
}

ModelShape model_shape(const TaskSpec& spec, std::int64_t num_features) {
  ModelShape shape{num_features, spec.num_outputs, {}};
  if (!spec.image.empty()) {
    shape.image.channels = spec.image[0];
    shape.image.depth = spec.image.size() == 4 ? spec.image[1] : 0;
    shape.image.height = spec.image[spec.image.size() - 2];
    shape.image.width = spec.image.back();
  }
  return shape;
}

void append_floats(std::vector<float>& to, const torch::Tensor& values) {
  auto c = values.to(torch::kCPU, torch::kFloat32).contiguous();
  to.insert(to.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<double> to_doubles(const std::vector<float>& values) {
  return {values.begin(), values.end()};
}

}  // namespace galien
