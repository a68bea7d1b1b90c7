#include "trainers/distributed/watchdog.h"

#include <cstdio>

namespace galien {
namespace {
long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Watchdog::Watchdog(double timeout_s, int rank, OnTimeout on_timeout, std::chrono::milliseconds tick)
    : timeout_s_(timeout_s), rank_(rank), on_timeout_(std::move(on_timeout)), tick_(tick) {
  if (timeout_s_ > 0) thread_ = std::thread([this] { run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::enter(const char* collective) {
  entered_ns_.store(now_ns());
  current_.store(collective);
}

void Watchdog::leave() { current_.store(nullptr); }

void Watchdog::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, tick_, [this] { return stopping_; })) {
    const char* collective = current_.load();
    if (!collective) continue;
    const double waited = static_cast<double>(now_ns() - entered_ns_.load()) * 1e-9;
    if (waited < timeout_s_) continue;
    char message[512];
    std::snprintf(message, sizeof(message),
                  "watchdog: rank %d has waited %.1f s in %s at step %lld (limit "
                  "trainer.collective_timeout_s = %.1f s): another rank is stuck, dead or running "
                  "a different collective; aborting the job",
                  rank_, waited, collective, step_.load(), timeout_s_);
    on_timeout_(message);
    return;
  }
}

}  // namespace galien
