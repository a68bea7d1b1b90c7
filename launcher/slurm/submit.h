// Submitting a job script: `sbatch --parsable` on Slurm sites, `ccc_msub` on TGCC's Bridge.
// Dependencies go on the command line, not in the script, so a script resubmitted by hand
// never waits for a job that finished long ago.
#pragma once

#include <string>

#include "launcher/slurm/profile.h"

namespace galien::slurm {

// The job id. `after`: a job id the new job waits for (afterok, and is cancelled if that job
// fails). UserError with the scheduler's message when submission fails.
std::string submit_job(const Profile& profile, const std::string& script, const std::string& after);

// The job id in what sbatch --parsable ("123" or "123;cluster") or ccc_msub ("Submitted Batch
// Session 123") printed; "" if none.
std::string parse_job_id(Scheduler scheduler, const std::string& output);

}  // namespace galien::slurm
