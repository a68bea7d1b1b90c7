// galien plan CONFIG --cluster NAME --nodes N: what a training of CONFIG would cost on a
// national machine before asking for it: step time, throughput, scaling efficiency, time to
// train and GPU-hours, from a model (launcher/plan/) fed with the model's real size (built here
// from the config, which needs LibTorch) and a measured step time. Nothing is submitted.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/config/config.h"
#include "core/error.h"
#include "datasets/manifest.h"
#include "launcher/commands/commands.h"
#include "launcher/plan/allreduce_model.h"
#include "launcher/plan/interconnect.h"
#include "launcher/plan/plan_report.h"
#include "launcher/plan/scaling_model.h"
#include "launcher/plan/step_source.h"
#include "launcher/slurm/profile.h"
#include "models/registry.h"

namespace galien::commands {
namespace {

namespace fs = std::filesystem;

struct PlanOptions {
  std::string config;
  std::vector<std::string> overrides;
  std::string cluster;
  int nodes = 0;
  int gpus_per_node = 0;
  std::string from_run;
  double cpu_gflops = 0;
  std::string step_table;
  std::int64_t samples = 0;
  std::int64_t features = 0;
  int classes = 0;
  std::int64_t batch_per_gpu = 0;
  double overlap = -1;  // < 0: not given
  bool sweep = false;
  int max_nodes = 64;
  bool json = false;
};

// What the model is built for: from the shard manifest when the data is sharded, else from the
// config and the flags (said in `note`).
struct DataShape {
  ModelShape shape;
  std::int64_t train_samples = 0;
  std::string samples_source;
};

std::vector<std::int64_t> image_shape_of(const std::string& images_json) {
  const auto json = nlohmann::json::parse(images_json);
  if (!json.contains("shape")) return {};
  return json.at("shape").get<std::vector<std::int64_t>>();
}

ImageShape to_image(const std::vector<std::int64_t>& chw) {  // [C, (D,) H, W]
  ImageShape image;
  if (chw.size() == 3) image = {chw[0], 0, chw[1], chw[2]};
  if (chw.size() == 4) image = {chw[0], chw[1], chw[2], chw[3]};
  return image;
}

DataShape data_shape(const Config& config, const PlanOptions& o) {
  DataShape data;
  const std::string dir = config.data.shard_dir;
  if (!dir.empty() && fs::exists(fs::path(dir) / "manifest.json")) {
    const Manifest manifest = load_manifest(dir);
    data.shape.num_features = manifest.num_features();
    data.shape.num_outputs = static_cast<std::int64_t>(manifest.classes.size());
    if (!manifest.images.empty()) data.shape.image = to_image(image_shape_of(manifest.images));
    auto train = manifest.splits.find("train");
    if (train != manifest.splits.end()) {
      data.train_samples = train->second.num_samples;
      data.samples_source = "from " + dir + "/manifest.json";
    }
  } else {
    const bool images = config.data.image_format != "none";
    data.shape.num_features = o.features;
    if (!images && o.features < 1)
      GALIEN_USER_ERROR(config.source_file << ": the shards (" << (dir.empty() ? "data.shard_dir unset" : dir)
                        << ") do not exist yet, so the number of input features is unknown; shard "
                        << "the data first (galien shard " << config.source_file << ") or give --features N");
    if (images) {
      const auto& hw = config.data.image_shape;
      if (hw.size() != 2 && hw.size() != 3)
        GALIEN_USER_ERROR(config.source_file << ": the shards do not exist yet and data.images.shape "
                          << "is not set, so the image size is unknown; shard the data first or set "
                          << "data.images.shape: [H, W] or [D, H, W]");
      std::vector<std::int64_t> chw{config.data.image_channels > 0 ? config.data.image_channels : 1};
      chw.insert(chw.end(), hw.begin(), hw.end());
      data.shape.image = to_image(chw);
    }
    data.shape.num_outputs = o.classes > 0 ? o.classes
                             : !config.data.classes.empty()
                                 ? static_cast<std::int64_t>(config.data.classes.size())
                                 : 2;
  }
  if (o.samples > 0) {
    data.train_samples = o.samples;
    data.samples_source = "from --samples";
  }
  if (data.train_samples < 1)
    GALIEN_USER_ERROR("the training set size is unknown: shard the data (galien shard "
                      << config.source_file << "; the manifest gives it) or give --samples N");
  return data;
}

bool has_directive(const slurm::Profile& profile, const std::string& directive) {
  for (const std::string& d : profile.directives)
    if (d == directive) return true;
  return false;
}

int run_plan(const PlanOptions& o) {
  const Config config = load_config(o.config, o.overrides);
  const std::string cluster = !o.cluster.empty() ? o.cluster : config.launch.cluster;
  if (cluster.empty() || cluster == "local")
    GALIEN_USER_ERROR("galien plan needs a cluster: --cluster NAME (or launch.cluster in the "
                      << "config); profiles: " << [] {
                           std::string names;
                           for (const auto& n : slurm::available_profiles())
                             names += (names.empty() ? "" : ", ") + n;
                           return names;
                         }());
  const slurm::Profile profile = slurm::load_profile(cluster);
  if (profile.gpus_per_node < 1)
    GALIEN_USER_ERROR(profile.file << ": node.gpus is 0 (CPU nodes); galien plan projects GPU "
                      << "jobs: choose a GPU profile");
  const plan::Interconnect net = plan::read_interconnect(profile.file);
  const int nodes = o.nodes > 0 ? o.nodes : config.launch.nodes;
  const int gpus = o.gpus_per_node > 0 ? o.gpus_per_node : profile.gpus_per_node;
  if (gpus > profile.gpus_per_node)
    GALIEN_USER_ERROR("--gpus-per-node " << gpus << ": a " << cluster << " node has "
                      << profile.gpus_per_node << " GPUs (node.gpus in " << profile.file << ")");
  const bool exclusive = has_directive(profile, "--exclusive");

  const DataShape data = data_shape(config, o);
  const auto model = make_model(config.model, data.shape);
  std::vector<std::int64_t> numels;
  std::int64_t parameters = 0;
  for (const auto& p : model->parameters()) {
    numels.push_back(p.numel());
    parameters += p.numel();
  }
  if (parameters == 0) GALIEN_USER_ERROR("model " << config.model.name << " has no parameters");
  const std::int64_t tensors = static_cast<std::int64_t>(numels.size());
  const std::int64_t voxels = data.shape.image.present()
                                  ? std::max<std::int64_t>(1, data.shape.image.depth) *
                                        data.shape.image.height * data.shape.image.width
                                  : 0;

  plan::ComputeModel compute;
  if (!o.from_run.empty()) {
    compute = plan::compute_from_run(plan::read_run_timings(o.from_run), net, tensors, o.cpu_gflops);
  } else {
    const std::string table = o.step_table.empty() ? plan::default_step_table() : o.step_table;
    compute = plan::compute_from_table(plan::read_step_table(table), config.model.name, parameters,
                                       voxels, net, tensors);
  }

  const bool flat = config.trainer.gradient_sync == "flat";
  plan::Workload work;
  work.gradient_bytes = 4.0 * static_cast<double>(parameters);
  work.buckets = flat ? 1 : plan::count_buckets(numels, config.trainer.bucket_mb);
  work.accumulation = config.trainer.gradient_accumulation;
  work.train_samples = data.train_samples;
  work.epochs = config.trainer.epochs;
  work.mode = o.batch_per_gpu > 0 ? plan::BatchMode::kPerGpu : plan::BatchMode::kGlobal;
  work.batch = o.batch_per_gpu > 0 ? o.batch_per_gpu : config.trainer.batch_size;
  std::string overlap_note;
  if (flat) {
    work.overlap = 0;
    overlap_note = "trainer.gradient_sync: flat reduces after backward, so nothing overlaps";
  } else if (o.overlap >= 0) {
    work.overlap = o.overlap;
    overlap_note = "given with --overlap";
  } else {
    work.overlap = 0;
    overlap_note = "assumed none: galien starts buckets during backward, but the share hidden "
                   "has not been measured on a GPU yet; --overlap F to try another";
  }

  plan::PlanContext context;
  context.config_file = o.config;
  context.model = config.model.name;
  context.parameters = parameters;
  context.parameter_tensors = tensors;
  context.gradient_sync = config.trainer.gradient_sync;
  context.bucket_mb = config.trainer.bucket_mb;
  context.overlap_note = overlap_note;
  context.cluster = profile.name;
  context.cluster_description = profile.description;
  context.samples_source = data.samples_source;
  context.charge_note = net.accounting;
  if (exclusive)
    context.charge_note += " The profile reserves whole nodes (--exclusive): " +
                           std::to_string(profile.gpus_per_node) + " GPUs charged per node.";
  context.net = net;
  context.compute = compute;
  context.work = work;

  const int charged = exclusive ? profile.gpus_per_node : gpus;
  const plan::Projection chosen = plan::project(net, compute, work, plan::Layout{nodes, gpus, charged});
  std::vector<plan::Projection> rows;
  if (o.sweep) rows = plan::sweep(net, compute, work, gpus, charged, o.max_nodes);

  if (o.json) {
    std::cout << plan::render_json(context, chosen, rows).dump(2) << "\n";
  } else {
    std::cout << plan::render_text(context, chosen);
    if (o.sweep)
      std::cout << "\nSweep, " << gpus << " GPU(s) per node (projection):\n\n"
                << plan::render_sweep_markdown(rows);
  }
  return 0;
}

}  // namespace

Runner add_plan(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
      "plan", "Project step time, throughput, scaling efficiency, time to train and GPU-hours of "
              "CONFIG on a cluster (a model, not a measurement: docs/BENCHMARKS.md)");
  cmd->add_option("config", o->config, "YAML config file")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value overrides");
  cmd->add_option("--cluster", o->cluster, "cluster profile (slurm/NAME.yaml) with an "
                  "interconnect: section; default launch.cluster");
  cmd->add_option("--nodes,-N", o->nodes, "nodes (default launch.nodes)")->check(CLI::Range(1, 100000));
  cmd->add_option("--gpus-per-node", o->gpus_per_node, "GPUs (ranks) per node (default: all)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--from-run", o->from_run, "a galien train run directory: use its measured "
                  "step time (summary.json) instead of the table");
  cmd->add_option("--cpu-gflops", o->cpu_gflops, "with --from-run of a CPU run: that CPU's fp32 "
                  "GEMM rate, to scale its step time to the GPU")->check(CLI::PositiveNumber);
  cmd->add_option("--step-table", o->step_table, "measured step times (default "
                  "bench/results/step_times.json)");
  cmd->add_option("--samples", o->samples, "training samples (default: the manifest's)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 50));
  cmd->add_option("--features", o->features, "input features, when the data is not sharded yet")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 30));
  cmd->add_option("--classes", o->classes, "classes, when the data is not sharded yet (default "
                  "data.classes, else 2)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--batch-per-gpu", o->batch_per_gpu, "keep this batch on every GPU (weak "
                  "scaling) instead of trainer.batch_size as the global batch")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 30));
  cmd->add_option("--overlap", o->overlap, "share of the allreduce hidden behind backward, "
                  "[0, 1] (default 0: not measured yet)")->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--sweep", o->sweep, "also print 1, 2, 4, ... --max-nodes nodes");
  cmd->add_option("--max-nodes", o->max_nodes, "largest node count of --sweep (default 64)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--json", o->json, "print JSON instead of text");
  return [o] { return run_plan(*o); };
}

}  // namespace galien::commands
