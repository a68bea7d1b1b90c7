// Batch directives, built once in Slurm's terms and written for the profile's scheduler:
// `#SBATCH --name=value` for sbatch, `#MSUB -x value` for TGCC's ccc_msub, where options Bridge
// has no letter for travel to Slurm through `#MSUB -E "..."`.
#pragma once

#include <string>
#include <vector>

#include "launcher/slurm/job_plan.h"
#include "launcher/slurm/profile.h"

namespace galien::slurm {

struct Directive {
  std::string option;     // Slurm long option without dashes: "nodes", "requeue"
  std::string value;      // "" for a flag
  bool verbatim = false;  // a profile line such as "-m scratch,work", written as it is
};

// Nodes, tasks, CPUs, GPUs, time, account, QoS, partition, constraint, hint and the profile's
// own directives.
std::vector<Directive> resource_directives(const Profile& profile, const JobResources& job);

// The directive block, one line each, ending with a newline.
std::string format_directives(Scheduler scheduler, const std::vector<Directive>& directives);

}  // namespace galien::slurm
