// Training progress on rank 0: epoch, step/total, loss, samples/s and ETA. On a terminal one
// line is redrawn in place with '\r' (at most ~10 times a second, so a fast loop does not spend
// its time printing); in a batch job's log (not a TTY) one plain line per epoch, since a log
// file full of carriage returns is unreadable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>

namespace galien {

struct ProgressState {
  int epoch = 0, epochs = 0;          // 1-based
  std::int64_t step = 0, steps = 0;   // steps done in this epoch, steps per epoch
  double loss = 0;                    // sample-weighted mean train loss of the epoch so far
  double samples_per_s = 0;           // this epoch so far
  double eta_s = 0;                   // to the end of the run; NaN when unknown
};

// "--:--" when unknown, "MM:SS" under an hour, else "H:MM:SS" (hours past 24 keep counting).
std::string format_eta(double seconds);
// "epoch 2/10 | step 35/120 | loss 0.4213 | 1250 samples/s | ETA 01:23"
std::string format_progress_line(const ProgressState& state);

// Lets a redraw through when `min_interval_s` has passed since the last one let through.
class RedrawThrottle {
 public:
  explicit RedrawThrottle(double min_interval_s = 0.1) : min_interval_s_(min_interval_s) {}
  bool ready(double now_s);

 private:
  double min_interval_s_;
  double last_s_ = 0;
  bool drawn_ = false;
};

bool stderr_is_terminal();
double monotonic_seconds();

class ProgressDisplay {
 public:
  using Clock = std::function<double()>;  // monotonic seconds; injected by tests
  // `interactive`: redraw in place (pass stderr_is_terminal()).
  ProgressDisplay(std::ostream& out, bool interactive, int epochs, std::int64_t steps_per_epoch,
                  Clock clock = monotonic_seconds);

  // `epoch` is 1-based; `first_step` > 0 when a resumed run re-enters an epoch mid-way.
  void begin_epoch(int epoch, std::int64_t first_step = 0);
  // After each training step: the step's mean loss and its number of real samples (global).
  void step(double loss, std::int64_t samples);  // loss NaN: not known this step
  // Ends the epoch's line, followed by " | name value" for each of `metrics` (val/...).
  void end_epoch(const std::map<std::string, double>& metrics = {});

  ProgressState state() const;

 private:
  void redraw(const std::string& line);

  std::ostream& out_;
  bool interactive_;
  int epochs_;
  std::int64_t steps_per_epoch_;
  Clock clock_;
  RedrawThrottle throttle_;
  int epoch_ = 0;
  double run_start_s_ = -1, epoch_start_s_ = 0;
  std::int64_t steps_done_ = 0, epoch_steps_ = 0, epoch_samples_ = 0;
  std::int64_t epoch_loss_samples_ = 0;  // samples whose step reported a loss
  double epoch_loss_sum_ = 0;
  std::size_t drawn_width_ = 0;
};

}  // namespace galien
