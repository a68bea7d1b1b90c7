// Where a training step's time goes: waiting for data, computing (forward, backward,
// optimiser), communicating (gradient allreduce). Reported per step in summary.json and the
// run card, so a slow job tells which of the three to fix.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace galien {

class StepTimings {
 public:
  void add(double data_s, double compute_s, double comm_s) {
    data_s_ += data_s;
    compute_s_ += compute_s;
    comm_s_ += comm_s;
    ++steps_;
  }
  nlohmann::json to_json() const {
    const double n = steps_ ? static_cast<double>(steps_) : 1.0;
    return {{"data", 1e3 * data_s_ / n}, {"compute", 1e3 * compute_s_ / n},
            {"communication", 1e3 * comm_s_ / n}, {"steps", steps_}};
  }

 private:
  double data_s_ = 0, compute_s_ = 0, comm_s_ = 0;
  std::int64_t steps_ = 0;
};

}  // namespace galien
