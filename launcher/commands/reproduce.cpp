// galien reproduce CONFIG [key=value ...]: shard (if needed), train on local ranks, evaluate and
// compare with the config's `published:` figure; with `cv.folds` every fold of every repeat is a
// run of its own and the figure is their mean. Prints the verdict table, writes report.md with
// pictures, exits 0 on pass and 4 (kExitReproductionFailed) when the figure is not reached.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "datasets/shard_pipeline.h"
#include "launcher/commands/commands.h"
#include "core/process.h"
#include "launcher/process.h"
#include "launcher/reproduce/report.h"
#include "launcher/reproduce/statistics.h"
#include "launcher/reproduce/verdict.h"
#include "privacy/key_file.h"
#include "core/exit_codes.h"
#include "trainers/observability/run_dir.h"

namespace galien::commands {
namespace {

namespace fs = std::filesystem;

struct ReproduceOptions {
  std::string path;
  std::vector<std::string> overrides;
  std::string out_dir;
  int ranks = 0;
  bool reshard = false;
};

// One training of the reproduction: its overrides, shard directory and run directory.
struct PlannedRun {
  std::string label;
  std::vector<std::string> overrides;
  std::string shard_dir, run_dir;
};

std::vector<PlannedRun> plan_runs(const Config& config, const ReproduceOptions& o,
                                  const std::string& out_dir) {
  std::vector<PlannedRun> runs;
  if (config.data.cv_folds == 0) {
    runs.push_back({"run", o.overrides, config.data.shard_dir, out_dir + "/run"});
    return runs;
  }
  for (int r = 0; r < config.data.cv_repeats; ++r)
    for (int k = 0; k < config.data.cv_folds; ++k) {
      const std::string name = "r" + std::to_string(r + 1) + "-f" + std::to_string(k + 1);
      PlannedRun run{"repeat " + std::to_string(r + 1) + " fold " + std::to_string(k + 1),
                     o.overrides, config.data.shard_dir + "/cv-" + name, out_dir + "/" + name};
      run.overrides.push_back("cv.repeat=" + std::to_string(r));
      run.overrides.push_back("cv.fold=" + std::to_string(k));
      run.overrides.push_back("data.shard_dir=" + run.shard_dir);
      runs.push_back(std::move(run));
    }
  return runs;
}

// The published metric of a finished run, from its summary.json.
ReproductionRun read_run(const PlannedRun& planned, const std::string& metric) {
  const std::string path = planned.run_dir + "/summary.json";
  const auto summary = nlohmann::json::parse(read_file(path), nullptr, false);
  if (summary.is_discarded()) GALIEN_USER_ERROR(path << " is not valid JSON");
  const auto& metrics = summary.value("metrics", nlohmann::json::object());
  if (!metrics.contains(metric) || metrics[metric].is_null()) {
    std::string known;
    for (const auto& item : metrics.items()) known += (known.empty() ? "" : ", ") + item.key();
    GALIEN_USER_ERROR("published.metric '" << metric << "' is not in " << path
                      << "; the run reported: " << known);
  }
  return {planned.label, planned.run_dir, metrics[metric].get<double>(),
          summary.value("time_s", 0.0)};
}

int run_reproduce(const ReproduceOptions& o) {
  const Config config = load_config(o.path, o.overrides);
  const PublishedConfig& p = config.published;
  if (p.metric.empty())
    GALIEN_USER_ERROR(o.path << " has no published.metric: a reproduction config names the "
                      << "figure it reproduces (docs/REPRODUCTIONS.md)");
  if (!p.run_here) {
    std::cout << config.name << ": not run here. " << p.note << "\n";
    return kExitUserError;
  }
  const int ranks = o.ranks > 0 ? o.ranks : config.launch.ranks;
  Config named = config;
  named.name += "-repro";
  const std::string out_dir =
      fs::absolute(o.out_dir.empty() ? default_run_dir(named) : o.out_dir).lexically_normal().string();
  make_directories(out_dir);
  const auto planned = plan_runs(config, o, out_dir);
  // Every run's config is checked before the first one starts.
  for (const auto& run : planned) load_config(o.path, run.overrides);
  if (!config.privacy.key_file.empty() && !fs::exists(config.privacy.key_file)) {
    make_directories(fs::path(config.privacy.key_file).parent_path().string());
    generate_key_file(config.privacy.key_file);
    std::cout << "galien reproduce: created controller key " << config.privacy.key_file << "\n";
  }
  std::vector<ReproductionRun> runs;
  for (const auto& run : planned) {
    if (o.reshard || !fs::exists(run.shard_dir + "/manifest.json")) {
      std::cout << "galien reproduce: sharding " << run.label << " -> " << run.shard_dir << std::endl;
      run_shard(load_config(o.path, run.overrides), /*overwrite=*/true);
    }
    const int code = run_local_training(o.path, run.overrides, run.run_dir, ranks, false, std::cout);
    if (code != 0) {
      std::cerr << "galien reproduce: " << run.label << " ended with exit code " << code
                << "; see " << run.run_dir << "\n";
      return code;
    }
    runs.push_back(read_run(run, p.metric));
  }
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(run.value);
  const FigureSummary achieved = summarise(values);
  const Verdict verdict = judge(p, achieved);
  const std::string report =
      write_reproduction_report(config, out_dir, runs, achieved, verdict, ranks);
  std::cout << "\n" << config.name << ": " << p.citation << "\n" << verdict_table(p, achieved, verdict)
            << "report: " << report << "\n";
  return verdict.pass ? kExitOk : kExitReproductionFailed;
}

}  // namespace

Runner add_reproduce(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "reproduce", "Shard, train and compare with the published figure of a configs/repro/ file");
  auto o = std::make_shared<ReproduceOptions>();
  cmd->add_option("config", o->path, "reproduction config (with a published: block)")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value overrides");
  cmd->add_option("--out,-o", o->out_dir,
                  "directory of the runs and report.md (default: trainer.output_dir/NAME-repro-TIME)");
  cmd->add_option("--ranks,-n", o->ranks, "MPI ranks per run (default: launch.ranks)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--reshard", o->reshard, "shard again even where shards exist");
  return [o] { return run_reproduce(*o); };
}

}  // namespace galien::commands
