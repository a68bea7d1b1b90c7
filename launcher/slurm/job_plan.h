// What a job asks the scheduler for, decided from a profile and the user's request before any
// script is written: one task per GPU, cores per task, the QoS that fits the time, the account
// with the site's suffix. Every refusal names the limit and what to change.
#pragma once

#include <string>

#include "launcher/slurm/profile.h"

namespace galien::slurm {

// The user's side: command-line flags over the config's launch.* keys. 0 / "" = not given.
struct JobRequest {
  int nodes = 1;
  int ranks = 1;           // CPU-only profiles: tasks per node when tasks_per_node is 0
  int tasks_per_node = 0;  // 0: one per GPU
  int cpus_per_task = 0;   // 0: the node's cores shared out
  std::string time;        // Slurm time; "" = the profile's default_time
  std::string account;
  std::string qos;        // "" = chosen from the time
  std::string partition;  // "" = the profile's
};

struct JobResources {
  int nodes = 1;
  int tasks_per_node = 1;
  int cpus_per_task = 1;
  int gpus_per_node = 0;  // GPUs requested per node: one per task on GPU nodes
  long time_s = 0;
  std::string qos;      // "" = no QoS directive
  std::string account;  // with the profile's suffix; "" = none
  std::string partition;
  std::string constraint;

  int tasks() const { return nodes * tasks_per_node; }
  int gpus() const { return nodes * gpus_per_node; }
};

JobResources plan_job(const Profile& profile, const JobRequest& request);

}  // namespace galien::slurm
