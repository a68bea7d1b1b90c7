// Learning rate as a function of progress: linear warm-up, then none / cosine / step / plateau,
// optionally scaled by the linear scaling rule (Goyal et al. 2017: lr * global batch / reference
// batch). Pure and serialisable, so a resumed run continues the exact same schedule.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "core/config/config.h"

namespace galien {

class LrSchedule {
 public:
  LrSchedule(const OptimConfig& config, int global_batch, std::int64_t total_steps,
             std::int64_t steps_per_epoch);

  double base_lr() const { return base_lr_; }
  // Learning rate for optimiser step `step` (0-based).
  double at(std::int64_t step) const;
  // Plateau schedule: call once per epoch with the monitored metric (lower or higher is better).
  void end_of_epoch(double metric, bool higher_is_better);

  nlohmann::json state() const;
  void load_state(const nlohmann::json& state);

 private:
  OptimConfig config_;
  double base_lr_;
  std::int64_t total_steps_, steps_per_epoch_;
  double plateau_scale_ = 1.0;
  double plateau_best_;
  bool plateau_has_best_ = false;
  int plateau_bad_epochs_ = 0;
};

}  // namespace galien
