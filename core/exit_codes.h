// Exit codes of `galien train`, for job scripts (documented in docs/ARCHITECTURE.md).
#pragma once

namespace galien {

constexpr int kExitOk = 0;
constexpr int kExitInternalError = 1;
constexpr int kExitUserError = 2;      // bad config or input: fix and resubmit
// Stopped early on SIGUSR1/SIGTERM (Slurm's time-limit warning or preemption) after writing a
// checkpoint: requeue the job, it resumes from that checkpoint (EX_TEMPFAIL, "try again").
constexpr int kExitStopped = 75;
constexpr int kExitWatchdog = 3;       // a collective exceeded trainer.collective_timeout_s
// `galien reproduce`: the runs completed but the achieved figure is outside the published
// tolerance (a result, not a crash: the report is written).
constexpr int kExitReproductionFailed = 4;

}  // namespace galien
