#include "launcher/slurm/cluster_launch.h"

#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/fs.h"
#include "launcher/slurm/job_plan.h"
#include "launcher/slurm/job_script.h"
#include "launcher/slurm/profile.h"
#include "launcher/slurm/site_key.h"
#include "launcher/slurm/submit.h"
#include "launcher/slurm/sweep.h"
#include "launcher/slurm/time_limit.h"

namespace galien::slurm {
namespace {

namespace fs = std::filesystem;

template <class T>
T flag_or(const T& flag, const T& key) {
  return flag == T{} ? key : flag;
}

JobRequest job_request(const LaunchConfig& keys, const ClusterFlags& flags) {
  JobRequest request;
  request.nodes = flag_or(flags.nodes, keys.nodes);
  request.ranks = flag_or(flags.ranks, keys.ranks);
  request.tasks_per_node = flag_or(flags.tasks_per_node, keys.tasks_per_node);
  request.cpus_per_task = flag_or(flags.cpus_per_task, keys.cpus_per_task);
  request.time = flag_or(flags.time, keys.time);
  request.account = flag_or(flags.account, keys.account);
  request.qos = flag_or(flags.qos, keys.qos);
  request.partition = flag_or(flags.partition, keys.partition);
  return request;
}

// Every point must load: a typo in a sweep value fails now, not in one array task tomorrow.
std::vector<SweepPoint> checked_points(const Config& config, const ClusterLaunch& launch) {
  const std::vector<SweepPoint> points = sweep_points(config);
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<std::string> overrides = launch.overrides;
    overrides.insert(overrides.end(), points[i].begin(), points[i].end());
    try {
      load_config(launch.config_path, overrides);
    } catch (const UserError& e) {
      std::string shown;
      for (const std::string& o : points[i]) shown += (shown.empty() ? "" : " ") + o;
      GALIEN_USER_ERROR("sweep point " << i << " (" << shown << "): " << e.what());
    }
  }
  return points;
}

std::string staged_from(const Config& config, const Profile& profile) {
  if (!config.launch.stage_shards) return "";
  if (profile.scratch.empty())
    GALIEN_USER_ERROR("launch.stage_shards: profile " << profile.name << " (" << profile.file
                                                      << ") names no scratch.dir to copy the "
                                                         "shards to; add one or set "
                                                         "launch.stage_shards=false");
  return fs::absolute(config.data.shard_dir).lexically_normal().string();
}

struct Plan {
  Profile profile;
  JobResources training;
  TrainingJob job;
};

Plan make_plan(const Config& config, const ClusterLaunch& launch, const ClusterFlags& flags) {
  Plan plan;
  plan.profile = load_profile(flag_or(flags.cluster, config.launch.cluster));
  const JobRequest request = job_request(config.launch, flags);
  plan.training = plan_job(plan.profile, request);
  if (config.launch.signal_margin_s >= plan.training.time_s)
    GALIEN_USER_ERROR("launch.signal_margin_s (" << config.launch.signal_margin_s
                                                 << " s) must be shorter than the time limit ("
                                                 << format_time_limit(plan.training.time_s) << ")");

  JobFiles files{config.name, launch.galien, launch.run_dir + "/" + kFrozenConfig, launch.workdir,
                 config.launch.modules.empty() ? plan.profile.modules : config.launch.modules};
  plan.job = TrainingJob{files,
                         launch.run_dir,
                         checked_points(config, launch),
                         config.sweep.parallel,
                         config.launch.signal_margin_s,
                         config.launch.max_restarts,
                         staged_from(config, plan.profile)};
  return plan;
}

std::string describe(const Profile& profile, const JobResources& job) {
  std::string text = profile.name + ": " + std::to_string(job.nodes) + " node(s) x " +
                     std::to_string(job.tasks_per_node) + " task(s), " +
                     std::to_string(job.cpus_per_task) + " CPU(s)" +
                     (job.gpus_per_node > 0 ? " and 1 GPU" : "") + " per task, " +
                     format_time_limit(job.time_s);
  if (!job.qos.empty()) text += ", QoS " + job.qos;
  if (!job.account.empty()) text += ", account " + job.account;
  return text;
}

}  // namespace

int launch_on_cluster(const Config& config, const ClusterLaunch& launch, const ClusterFlags& flags,
                      std::ostream& out) {
  check_compute_site_key(config, flags.cluster, flags.dry_run, std::cerr);
  const Plan plan = make_plan(config, launch, flags);
  const std::string training_script = render_training_script(plan.profile, plan.training, plan.job);
  if (flags.dry_run) {
    std::cerr << "galien launch: " << describe(plan.profile, plan.training) << " (dry run)\n";
    out << training_script;
    return 0;
  }

  const std::string dir = launch.run_dir;
  make_directories(dir);
  write_file_atomic(dir + "/" + kFrozenConfig, config.resolved_yaml);
  if (!plan.job.points.empty()) write_sweep_file(dir, config, launch.overrides, plan.job.points);
  write_file_atomic(dir + "/" + kTrainingScript, training_script, 0755);
  out << "galien launch: " << describe(plan.profile, plan.training) << "\n";

  const std::string& after = flags.after;
  const std::string id = submit_job(plan.profile, dir + "/" + kTrainingScript, after);
  const bool sweep = !plan.job.points.empty();
  out << "galien launch: submitted " << (sweep ? "sweep job array " : "training job ") << id
      << (after.empty() ? "" : " (starts after job " + after + " succeeds)") << "\n"
      << (sweep ? "sweep directory: " : "run directory: ") << dir << std::endl;
  return 0;
}

}  // namespace galien::slurm
