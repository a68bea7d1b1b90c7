#include "trainers/observability/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace galien {

std::string format_eta(double seconds) {
  if (!std::isfinite(seconds)) return "--:--";
  const long s = std::lround(std::max(0.0, seconds));
  char text[32];
  if (s < 3600)
    std::snprintf(text, sizeof text, "%02ld:%02ld", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

std::string format_progress_line(const ProgressState& state) {
  char text[160];
  std::snprintf(text, sizeof text, "epoch %d/%d | step %lld/%lld | loss %.4f | %.0f samples/s",
                state.epoch, state.epochs, static_cast<long long>(state.step),
                static_cast<long long>(state.steps), state.loss, state.samples_per_s);
  return std::string(text) + " | ETA " + format_eta(state.eta_s);
}

bool RedrawThrottle::ready(double now_s) {
  if (drawn_ && now_s - last_s_ < min_interval_s_) return false;
  drawn_ = true;
  last_s_ = now_s;
  return true;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

ProgressDisplay::ProgressDisplay(std::ostream& out, bool interactive, int epochs,
                                 std::int64_t steps_per_epoch, Clock clock)
    : out_(out), interactive_(interactive), epochs_(epochs), steps_per_epoch_(steps_per_epoch),
      clock_(std::move(clock)) {}

void ProgressDisplay::begin_epoch(int epoch, std::int64_t first_step) {
  epoch_ = epoch;
  epoch_start_s_ = clock_();
  if (run_start_s_ < 0) run_start_s_ = epoch_start_s_;  // a resumed run starts its clock here
  epoch_steps_ = first_step;
  epoch_samples_ = 0;
  epoch_loss_samples_ = 0;
  epoch_loss_sum_ = 0;
}

void ProgressDisplay::step(double loss, std::int64_t samples) {
  ++steps_done_;
  ++epoch_steps_;
  epoch_samples_ += samples;
  // NaN = no value this step (on a GPU the trainer reads the loss every 20 steps only).
  if (!std::isnan(loss)) {
    epoch_loss_sum_ += loss * static_cast<double>(samples);
    epoch_loss_samples_ += samples;
  }
  if (interactive_ && throttle_.ready(clock_())) redraw(format_progress_line(state()));
}

void ProgressDisplay::end_epoch(const std::map<std::string, double>& metrics) {
  std::string line = format_progress_line(state());
  char value[32];
  for (const auto& [name, v] : metrics) {
    std::snprintf(value, sizeof value, "%.4f", v);
    line += " | " + name + " " + value;
  }
  if (interactive_)
    redraw(line);
  else
    out_ << line;
  out_ << '\n' << std::flush;
  drawn_width_ = 0;
}

ProgressState ProgressDisplay::state() const {
  const double now = clock_();
  ProgressState s;
  s.epoch = epoch_;
  s.epochs = epochs_;
  s.step = epoch_steps_;
  s.steps = steps_per_epoch_;
  s.loss = epoch_loss_samples_ ? epoch_loss_sum_ / static_cast<double>(epoch_loss_samples_)
                          : std::numeric_limits<double>::quiet_NaN();
  const double epoch_s = now - epoch_start_s_;
  s.samples_per_s = epoch_s > 0 ? static_cast<double>(epoch_samples_) / epoch_s : 0.0;
  // Remaining steps at this run's mean time per step, evaluations included.
  const std::int64_t remaining = std::max<std::int64_t>(
      0, (epochs_ - epoch_) * steps_per_epoch_ + (steps_per_epoch_ - epoch_steps_));
  s.eta_s = steps_done_ ? (now - run_start_s_) / static_cast<double>(steps_done_) *
                              static_cast<double>(remaining)
                        : std::numeric_limits<double>::quiet_NaN();
  return s;
}

// '\r' back to the line start, then spaces over what a longer previous line left behind.
void ProgressDisplay::redraw(const std::string& line) {
  out_ << '\r' << line;
  if (line.size() < drawn_width_) out_ << std::string(drawn_width_ - line.size(), ' ');
  out_ << std::flush;
  drawn_width_ = line.size();
}

}  // namespace galien
