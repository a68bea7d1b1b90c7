// galien launch CONFIG [key=value ...]: start `galien train` locally through mpirun (--ranks N),
// or render a Slurm job from a cluster profile and submit it (--cluster NAME; docs/clusters.md).
// A config with a `sweep:` section runs one training per point: one after the other locally, a
// job array on a cluster.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "datasets/manifest.h"
#include "datasets/run_checks.h"
#include "launcher/commands/commands.h"
#include "launcher/local_launch.h"
#include "core/process.h"
#include "launcher/process.h"
#include "launcher/slurm/cluster_launch.h"
#include "launcher/slurm/profile.h"
#include "launcher/slurm/runs_summary.h"
#include "launcher/slurm/sweep.h"
#include "trainers/observability/run_dir.h"

namespace galien::commands {
namespace {

namespace fs = std::filesystem;

struct LaunchOptions {
  std::string path;
  std::vector<std::string> overrides;
  slurm::ClusterFlags cluster;  // ranks and dry_run also apply locally
};

std::string profile_list() {
  std::string list;
  for (const auto& name : slurm::available_profiles()) list += (list.empty() ? "" : ", ") + name;
  return list.empty() ? "none found" : list;
}

// The run directory, absolute: a requeued job or a later `runs summarize` finds it from anywhere.
// A sweep's default directory is <output_dir>/<name>-sweep-<time>.
std::string absolute_run_dir(const Config& config, bool sweep) {
  std::string dir = config.trainer.run_dir;
  if (dir.empty()) {
    Config named = config;
    if (sweep) named.name += "-sweep";
    dir = default_run_dir(named);
  }
  return fs::absolute(dir).lexically_normal().string();
}

// What the run would stop on, found now from the config and manifest.json (datasets/run_checks.h)
// and reported once: a typo or a mismatch fails before mpirun or sbatch, not on every rank.
// `local`: the shards and key must be here; a cluster's may exist only there (then the manifest
// is not read, and said so).
void check_before_start(const Config& config, int ranks, bool local) {
  const std::string& dir = config.data.shard_dir;
  if (!fs::exists(fs::path(dir) / "manifest.json")) {
    if (local) load_manifest(dir);  // the error naming the file and `galien shard`
    std::cerr << "galien launch: " << dir << "/manifest.json is not here; the checks against "
              << "the shards run when the job starts\n";
    return;
  }
  std::vector<std::string> problems = run_problems(config, load_manifest(dir), ranks);
  if (local && !config.privacy.key_file.empty() && !fs::exists(config.privacy.key_file))
    problems.push_back("privacy.key_file " + config.privacy.key_file + " does not exist: give "
                       "this dataset's data key (galien keygen --data-key) or the controller key");
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems) text += "\n  - " + p;
  GALIEN_USER_ERROR("the run would stop on " << problems.size()
                    << (problems.size() == 1 ? " problem" : " problems") << ", found before "
                    << "starting it:" << text);
}

// One training here through mpirun, into `run_dir`.
int launch_locally(const LaunchOptions& o, const std::vector<std::string>& overrides,
                   const std::string& run_dir, int ranks) {
  return run_local_training(o.path, overrides, run_dir, ranks, o.cluster.dry_run, std::cout);
}

// A sweep here: every point's config is checked first, then the points run one after the
// other, each in its own directory of the sweep directory, and the summary table follows.
int launch_sweep_locally(const LaunchOptions& o, const Config& config,
                         const std::vector<slurm::SweepPoint>& points, int ranks) {
  const std::string dir = absolute_run_dir(config, true);
  std::vector<std::vector<std::string>> point_overrides;
  for (const auto& point : points) {
    auto overrides = o.overrides;
    overrides.insert(overrides.end(), point.begin(), point.end());
    load_config(o.path, overrides);
    point_overrides.push_back(std::move(overrides));
  }
  if (!o.cluster.dry_run) slurm::write_sweep_file(dir, config, o.overrides, points);
  int worst = 0;
  for (std::size_t i = 0; i < points.size(); ++i)
    worst = std::max(
        worst, launch_locally(o, point_overrides[i], dir + "/" + slurm::point_dir_name(i), ranks));
  if (o.cluster.dry_run) return worst;
  const std::string table = slurm::summary_table(dir, slurm::read_runs(dir));
  write_file_atomic(dir + "/summary.md", table);
  std::cout << table << "sweep directory: " << dir << std::endl;
  return worst;
}

bool cluster_only_flags(const slurm::ClusterFlags& f) {
  return f.nodes || f.tasks_per_node || f.cpus_per_task || !f.time.empty() || !f.account.empty() ||
         !f.qos.empty() || !f.partition.empty() || !f.after.empty();
}

int run_launch(const LaunchOptions& o) {
  // Validate here, before starting any process: a typo fails in a second, not after mpirun.
  const Config config = load_config(o.path, o.overrides);
  const std::string cluster = o.cluster.cluster.empty() ? config.launch.cluster : o.cluster.cluster;
  const auto points = slurm::sweep_points(config);
  if (!cluster.empty() && cluster != "local") {
    check_before_start(config, 0, false);
    slurm::ClusterFlags flags = o.cluster;
    flags.cluster = cluster;
    const slurm::ClusterLaunch launch{o.path, o.overrides, self_executable(),
                                      fs::current_path().string(),
                                      absolute_run_dir(config, !points.empty())};
    return slurm::launch_on_cluster(config, launch, flags, std::cout);
  }
  if (cluster_only_flags(o.cluster))
    GALIEN_USER_ERROR(
        "--nodes, --time, --account, --qos, --partition, --tasks-per-node, "
        "--cpus-per-task and --after need --cluster NAME (or "
        "launch.cluster)");
  const int ranks = o.cluster.ranks > 0 ? o.cluster.ranks : config.launch.ranks;
  check_before_start(config, ranks, true);
  if (!points.empty()) return launch_sweep_locally(o, config, points, ranks);
  return launch_locally(o, o.overrides, absolute_run_dir(config, false), ranks);
}

}  // namespace

Runner add_launch(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "launch", "Start training: locally through mpirun, or as a Slurm job (--cluster NAME)");
  auto o = std::make_shared<LaunchOptions>();
  slurm::ClusterFlags& f = o->cluster;
  cmd->add_option("config", o->path, "YAML config file")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value overrides");
  cmd->add_option("--ranks,-n", f.ranks,
                  "MPI ranks here; tasks per node on a CPU-only cluster (default: launch.ranks)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--cluster", f.cluster,
                  "cluster profile name or .yaml file (default: launch.cluster; 'local' = mpirun)");
  cmd->add_option("--nodes,-N", f.nodes, "nodes (default: launch.nodes)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--tasks-per-node", f.tasks_per_node, "ranks per node (default: one per GPU)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--cpus-per-task", f.cpus_per_task, "cores per rank (default: node share)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--time,-t", f.time, "time limit, e.g. 20:00:00 (default: launch.time)");
  cmd->add_option("--account,-A", f.account, "project to charge (the profile adds @h100 etc.)");
  cmd->add_option("--qos,-q", f.qos, "QoS (default: the shortest that fits --time)");
  cmd->add_option("--partition,-p", f.partition, "partition (default: the profile's)");
  cmd->add_flag("--dry-run", f.dry_run, "print the job script (or mpirun command); run nothing");
  cmd->add_option("--after", f.after, "job id the training waits for (afterok)")
      ->check(CLI::Number);
  cmd->footer("Cluster profiles: " + profile_list() +
              " (slurm/, or $GALIEN_PROFILE_PATH). See docs/clusters.md.");
  return [o] { return run_launch(*o); };
}

}  // namespace galien::commands
