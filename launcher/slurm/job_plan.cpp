#include "launcher/slurm/job_plan.h"

#include <algorithm>
#include <vector>

#include "core/config/suggest.h"
#include "core/error.h"
#include "launcher/slurm/time_limit.h"

namespace galien::slurm {
namespace {

void plan_tasks(const Profile& profile, const JobRequest& request, JobResources& job) {
  const int gpus = profile.gpus_per_node;
  job.tasks_per_node = request.tasks_per_node > 0 ? request.tasks_per_node
                       : gpus > 0                 ? gpus
                                                  : request.ranks;
  if (gpus > 0 && job.tasks_per_node > gpus)
    GALIEN_USER_ERROR(profile.name << ": " << job.tasks_per_node
                                   << " tasks per node, but a node has " << gpus
                                   << " GPUs; galien runs one task per GPU (use --nodes "
                                      "for more GPUs)");
  job.gpus_per_node = gpus > 0 ? job.tasks_per_node : 0;

  // GPU nodes: each GPU comes with its share of the cores, even when fewer GPUs are used.
  const int sharers = gpus > 0 ? gpus : job.tasks_per_node;
  const int cores = profile.cores_per_node;
  job.cpus_per_task = request.cpus_per_task > 0 ? request.cpus_per_task
                      : cores > 0               ? std::max(1, cores / sharers)
                                                : 1;
  if (cores > 0 && job.tasks_per_node * job.cpus_per_task > cores)
    GALIEN_USER_ERROR(profile.name << ": " << job.tasks_per_node << " tasks x " << job.cpus_per_task
                                   << " CPUs per task is more than the " << cores
                                   << " cores of a node; lower --cpus-per-task");
}

long plan_time(const Profile& profile, const JobRequest& request) {
  if (request.time.empty()) return profile.default_time_s;
  std::optional<long> seconds = parse_time_limit(request.time);
  if (!seconds)
    GALIEN_USER_ERROR("--time " << request.time
                                << ": not a Slurm time; use HH:MM:SS such as "
                                   "20:00:00, or D-HH:MM:SS such as 4-04:00:00");
  return *seconds;
}

std::string limit_text(long seconds) { return format_time_limit(seconds); }

// A named QoS: it must exist and fit the job.
std::string checked_qos(const Profile& profile, const JobResources& job, const std::string& name) {
  std::vector<std::string> names;
  for (const Qos& qos : profile.qos) {
    names.push_back(qos.name);
    if (qos.name != name) continue;
    if (job.time_s > qos.max_time_s)
      GALIEN_USER_ERROR("--time " << limit_text(job.time_s) << " is above the limit of QoS " << name
                                  << " on " << profile.name << " (" << limit_text(qos.max_time_s)
                                  << "); shorten --time: the job "
                                     "requeues itself at the limit and resumes");
    if (qos.max_gpus > 0 && job.gpus() > qos.max_gpus)
      GALIEN_USER_ERROR("QoS " << name << " on " << profile.name << " allows at most "
                               << qos.max_gpus << " GPUs per job, this job has " << job.gpus());
    return name;
  }
  std::string message = "--qos " + name + ": " + profile.name + " has no such QoS";
  if (auto near = closest_match(name, names)) message += "; did you mean '" + *near + "'?";
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  throw UserError(message + " QoS: " + list);
}

// The automatic QoS with the shortest limit that fits the time and the GPU count.
std::string chosen_qos(const Profile& profile, const JobResources& job) {
  const Qos* best = nullptr;
  const Qos* longest = nullptr;
  for (const Qos& qos : profile.qos) {
    if (!qos.automatic) continue;
    const bool gpus_fit = qos.max_gpus == 0 || job.gpus() <= qos.max_gpus;
    if (gpus_fit && (!longest || qos.max_time_s > longest->max_time_s)) longest = &qos;
    if (gpus_fit && job.time_s <= qos.max_time_s && (!best || qos.max_time_s < best->max_time_s))
      best = &qos;
  }
  if (best) return best->name;
  if (!longest)
    GALIEN_USER_ERROR(profile.name << ": no QoS accepts a job of " << job.gpus() << " GPUs");
  GALIEN_USER_ERROR("--time " << limit_text(job.time_s) << " is above the longest limit for "
                              << job.gpus() << " GPUs on " << profile.name << ": " << longest->name
                              << " allows " << limit_text(longest->max_time_s) << "; use --time "
                              << limit_text(longest->max_time_s)
                              << " or less (the job requeues itself at the limit and resumes)");
}

std::string plan_qos(const Profile& profile, const JobRequest& request, const JobResources& job) {
  if (profile.qos.empty()) {
    if (profile.max_time_s > 0 && job.time_s > profile.max_time_s)
      GALIEN_USER_ERROR("--time " << limit_text(job.time_s) << " is above the limit on "
                                  << profile.name << " (" << limit_text(profile.max_time_s)
                                  << "); shorten --time: the job requeues itself and resumes");
    return request.qos;  // the profile records no QoS: pass the user's through
  }
  return request.qos.empty() ? chosen_qos(profile, job) : checked_qos(profile, job, request.qos);
}

// "abc" -> "abc@h100" with format "{account}@h100"; "abc@h100" is kept; "abc@v100" is refused.
std::string plan_account(const Profile& profile, const std::string& account) {
  if (account.empty()) {
    if (profile.account_required)
      GALIEN_USER_ERROR(profile.name << " needs --account (your project; jobs are charged to "
                                     << profile.account_format << ")");
    return "";
  }
  const std::size_t at = profile.account_format.find("{account}");
  const std::string prefix = profile.account_format.substr(0, at);
  const std::string suffix = profile.account_format.substr(at + 9);
  const bool has_suffix =
      !suffix.empty() && account.size() > suffix.size() &&
      account.compare(account.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (has_suffix) return account;
  if (!suffix.empty() && account.find(suffix.front()) != std::string::npos)
    GALIEN_USER_ERROR("--account " << account << ": " << profile.name << " charges accounts of "
                                   << "the form " << profile.account_format
                                   << "; give the project alone");
  return prefix + account + suffix;
}

}  // namespace

JobResources plan_job(const Profile& profile, const JobRequest& request) {
  JobResources job;
  job.nodes = request.nodes;
  plan_tasks(profile, request, job);
  job.time_s = plan_time(profile, request);
  job.qos = plan_qos(profile, request, job);
  job.account = plan_account(profile, request.account);
  job.partition = request.partition.empty() ? profile.partition : request.partition;
  job.constraint = profile.constraint;
  return job;
}

}  // namespace galien::slurm
