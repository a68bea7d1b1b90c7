// `galien launch CONFIG --cluster NAME`: everything is checked (config, every sweep point,
// profile, QoS, account) before anything is written or submitted; then the config is frozen in
// the run directory next to the job script, the script is submitted and the job id printed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace galien::slurm {

// Command-line flags; 0 / "" = the config's launch.* key.
struct ClusterFlags {
  std::string cluster;
  int nodes = 0;
  int ranks = 0;
  int tasks_per_node = 0;
  int cpus_per_task = 0;
  std::string time;
  std::string account;
  std::string qos;
  std::string partition;
  bool dry_run = false;  // print the script(s), write and submit nothing
  std::string after;     // a job id the training waits for (afterok)
};

struct ClusterLaunch {
  std::string config_path;             // as given (points are validated by reloading it)
  std::vector<std::string> overrides;  // as given
  std::string galien;                  // this executable, absolute
  std::string workdir;                 // the current directory, absolute
  std::string run_dir;                 // absolute; the sweep directory for a sweep
};

// The run directory's files: the frozen config and the scripts.
constexpr const char* kFrozenConfig = "job-config.yaml";
constexpr const char* kTrainingScript = "job.sh";

// Returns the exit code; writes the script (dry run) or the job ids to `out`.
int launch_on_cluster(const Config& config, const ClusterLaunch& launch, const ClusterFlags& flags,
                      std::ostream& out);

}  // namespace galien::slurm
