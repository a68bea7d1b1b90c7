#include "trainers/loop/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace galien {

LrSchedule::LrSchedule(const OptimConfig& config, int global_batch, std::int64_t total_steps,
                       std::int64_t steps_per_epoch)
    : config_(config),
      base_lr_(config.learning_rate),
      total_steps_(std::max<std::int64_t>(1, total_steps)),
      steps_per_epoch_(std::max<std::int64_t>(1, steps_per_epoch)),
      plateau_best_(0.0) {
  if (config.linear_scaling_batch > 0)
    base_lr_ *= static_cast<double>(global_batch) / config.linear_scaling_batch;
}

double LrSchedule::at(std::int64_t step) const {
  const double floor = config_.min_learning_rate;
  if (step < config_.warmup_steps)
    return base_lr_ * static_cast<double>(step + 1) / (config_.warmup_steps + 1);
  const std::int64_t after = step - config_.warmup_steps;
  const std::int64_t span = std::max<std::int64_t>(1, total_steps_ - config_.warmup_steps);
  if (config_.schedule == "cosine") {
    const double progress = std::min(1.0, static_cast<double>(after) / static_cast<double>(span));
    return floor + (base_lr_ - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  if (config_.schedule == "step") {
    const std::int64_t epoch = step / steps_per_epoch_;
    return base_lr_ * std::pow(config_.gamma, static_cast<double>(epoch / config_.step_epochs));
  }
  if (config_.schedule == "plateau") return std::max(floor, base_lr_ * plateau_scale_);
  return base_lr_;
}

void LrSchedule::end_of_epoch(double metric, bool higher_is_better) {
  if (config_.schedule != "plateau" || std::isnan(metric)) return;
  const bool improved = !plateau_has_best_ ||
                        (higher_is_better ? metric > plateau_best_ : metric < plateau_best_);
  if (improved) {
    plateau_best_ = metric;
    plateau_has_best_ = true;
    plateau_bad_epochs_ = 0;
  } else if (++plateau_bad_epochs_ > config_.plateau_patience) {
    plateau_scale_ *= config_.gamma;
    plateau_bad_epochs_ = 0;
  }
}

nlohmann::json LrSchedule::state() const {
  return {{"plateau_scale", plateau_scale_}, {"plateau_best", plateau_best_},
          {"plateau_has_best", plateau_has_best_}, {"plateau_bad_epochs", plateau_bad_epochs_}};
}

void LrSchedule::load_state(const nlohmann::json& state) {
  plateau_scale_ = state.at("plateau_scale");
  plateau_best_ = state.at("plateau_best");
  plateau_has_best_ = state.at("plateau_has_best");
  plateau_bad_epochs_ = state.at("plateau_bad_epochs");
}

}  // namespace galien
