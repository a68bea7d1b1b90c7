// Collective watchdog: a rank waiting in a collective longer than trainer.collective_timeout_s
// aborts the whole job with a message naming the collective, the rank and the step — instead of
// the silent hang that DDP and Horovod users report. A background thread checks once per
// `tick`; entering and leaving a collective costs two atomic stores.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace galien {

class Watchdog {
 public:
  using OnTimeout = std::function<void(const std::string& message)>;
  Watchdog(double timeout_s, int rank, OnTimeout on_timeout,
           std::chrono::milliseconds tick = std::chrono::milliseconds(200));
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void set_step(long long step) { step_.store(step); }
  void enter(const char* collective);  // `collective` must outlive the call (string literal)
  void leave();

 private:
  void run();
  double timeout_s_;
  int rank_;
  OnTimeout on_timeout_;
  std::chrono::milliseconds tick_;
  std::atomic<const char*> current_{nullptr};
  std::atomic<long long> entered_ns_{0};
  std::atomic<long long> step_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// RAII guard; a null watchdog does nothing.
class WatchScope {
 public:
  WatchScope(Watchdog* watchdog, const char* collective) : watchdog_(watchdog) {
    if (watchdog_) watchdog_->enter(collective);
  }
  ~WatchScope() {
    if (watchdog_) watchdog_->leave();
  }

 private:
  Watchdog* watchdog_;
};

}  // namespace galien
