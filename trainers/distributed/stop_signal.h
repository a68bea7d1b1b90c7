// Graceful stop on SIGUSR1 / SIGTERM (Slurm's warning before the time limit, or preemption).
// The handler only sets a flag; the trainer reads it at step boundaries and all ranks agree
// (allreduce MAX) before stopping, so no rank leaves another waiting in a collective.
#pragma once

namespace galien {

void install_stop_handlers();   // idempotent
bool stop_requested();          // this process received SIGUSR1 or SIGTERM
int stop_signal_number();       // which one (0 if none)
void clear_stop_request();      // tests

}  // namespace galien
