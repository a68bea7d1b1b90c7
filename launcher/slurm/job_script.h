// Job scripts: what a seasoned user of the machine would write by hand. The training script
// forwards Slurm's time-limit signal to the training step and requeues the job when training
// stopped at a checkpoint (exit code 75), so a long training runs across as many jobs as it
// needs; a sweep is one job array whose tasks map SLURM_ARRAY_TASK_ID to a point's overrides.
#pragma once

#include <string>
#include <vector>

#include "launcher/slurm/job_plan.h"
#include "launcher/slurm/profile.h"

namespace galien::slurm {

// What every job script names, fixed at submission so a requeued job reruns the same thing.
struct JobFiles {
  std::string name;                  // job name
  std::string galien;                // the galien executable (absolute)
  std::string config;                // the config frozen at submission (absolute)
  std::string workdir;               // relative paths in the config resolve here
  std::vector<std::string> modules;  // what the job loads (profile's or launch.modules)
};

struct TrainingJob {
  JobFiles files;
  std::string run_dir;  // the run directory; for a sweep, the sweep directory
  // Overrides of each sweep point, in array-index order; empty = one training, not an array.
  std::vector<std::vector<std::string>> points;
  int parallel = 0;  // array tasks at once (%M); 0 = no limit
  int signal_margin_s = 300;
  int max_restarts = 20;
  std::string stage_from;  // shards to copy to the job's scratch; "" = read them in place
};

// The exit code of `galien train` after a stop at a checkpoint (core/exit_codes.h).
constexpr int kTrainStoppedExitCode = 75;

std::string render_training_script(const Profile& profile, const JobResources& job,
                                   const TrainingJob& training);

}  // namespace galien::slurm
