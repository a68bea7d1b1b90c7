#include "trainers/distributed/stop_signal.h"

#include <csignal>

namespace galien {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int signal_number) { g_signal = signal_number; }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // a signal must not make an MPI or file call fail with EINTR
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_signal != 0; }
int stop_signal_number() { return static_cast<int>(g_signal); }
void clear_stop_request() { g_signal = 0; }

}  // namespace galien
