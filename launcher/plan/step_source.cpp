#include "launcher/plan/step_source.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"
#include "core/yaml/document.h"

#ifndef GALIEN_STEP_TABLE
#define GALIEN_STEP_TABLE "bench/results/step_times.json"
#endif

namespace galien::plan {
namespace {

namespace fs = std::filesystem;

nlohmann::json parse_json(const std::string& path, const std::string& what_to_do) {
  if (!fs::exists(path)) GALIEN_USER_ERROR(path << ": no such file; " << what_to_do);
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    GALIEN_USER_ERROR(path << ": not valid JSON (" << e.what() << ")");
  }
}

// json[key] as T, or a UserError naming the file and the key.
template <class T>
T field(const nlohmann::json& json, const std::string& key, const std::string& file,
        const std::string& hint) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null())
    GALIEN_USER_ERROR(file << ": no '" << key << "'" << hint);
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    GALIEN_USER_ERROR(file << ": '" << key << "' has the wrong type" << hint);
  }
}


double launch_floor_ms(std::int64_t parameter_tensors) {
  return static_cast<double>(parameter_tensors) * kKernelsPerParameterTensor *
         kLaunchMicroseconds * 1e-3;
}

}  // namespace

RunTimings read_run_timings(const std::string& run_dir) {
  const std::string summary_path = (fs::path(run_dir) / "summary.json").string();
  const std::string config_path = (fs::path(run_dir) / "config.yaml").string();
  const nlohmann::json summary =
      parse_json(summary_path, "--from-run takes the run directory of a galien train run "
                               "(runs/<name>-<time>/), which holds summary.json when it ends");
  RunTimings run;
  run.run_dir = run_dir;
  const std::string hint = " (summary.json of galien train; rerun with this galien version)";
  run.status = field<std::string>(summary, "status", summary_path, hint);
  run.world_size = field<int>(summary, "world_size", summary_path, hint);
  run.device = summary.contains("device") ? summary["device"].get<std::string>() : "cpu";
  const auto timings =
      field<nlohmann::json>(summary, "timings_ms_per_step", summary_path,
                            " (this run predates step timings; rerun it with this galien)");
  run.steps = field<std::int64_t>(timings, "steps", summary_path + " timings_ms_per_step", hint);
  run.data_ms = field<double>(timings, "data", summary_path + " timings_ms_per_step", hint);
  run.compute_ms = field<double>(timings, "compute", summary_path + " timings_ms_per_step", hint);
  run.communication_ms =
      field<double>(timings, "communication", summary_path + " timings_ms_per_step", hint);
  if (run.world_size < 1) GALIEN_USER_ERROR(summary_path << ": world_size " << run.world_size);
  if (run.steps < 1 || !(run.compute_ms > 0))
    GALIEN_USER_ERROR(summary_path << ": the run timed no training step (steps " << run.steps
                      << "); let it run at least one step (a few hundred give a steadier figure)");

  if (!fs::exists(config_path))
    GALIEN_USER_ERROR(config_path << ": no such file; the run directory of galien train holds the "
                      << "resolved config.yaml, which gives the batch size the timings are for");
  // Only the batch size is read: the other keys are whatever the run's galien version wrote.
  const std::string what_to_do = "; config.yaml of galien train holds every key, this one too";
  run.batch_size = yaml::parse_file(config_path)
                       .required("trainer", what_to_do)
                       .required("batch_size", what_to_do)
                       .as_int(yaml::at_least(1));
  return run;
}

std::string default_step_table() { return GALIEN_STEP_TABLE; }

StepTimeTable read_step_table(const std::string& path) {
  const nlohmann::json json = parse_json(
      path, "the table of measured step times ships as bench/results/step_times.json; rebuild "
            "it with bench/bench_step_time (docs/BENCHMARKS.md) or give --from-run RUN_DIR");
  StepTimeTable table;
  table.file = path;
  const std::string hint = " (docs/BENCHMARKS.md, \"Scaling projection\", gives the format)";
  table.machine = field<std::string>(json, "machine", path, hint);
  table.measured = field<std::string>(json, "measured", path, hint);
  for (const auto& item : field<nlohmann::json>(json, "entries", path, hint)) {
    StepTimeEntry e;
    e.name = field<std::string>(item, "name", path, hint);
    const std::string where = path + " entry '" + e.name + "'";
    e.model = field<std::string>(item, "model", where, hint);
    e.config = field<std::string>(item, "config", where, hint);
    e.parameters = field<std::int64_t>(item, "parameters", where, hint);
    e.parameter_tensors = field<std::int64_t>(item, "parameter_tensors", where, hint);
    e.image_voxels = field<std::int64_t>(item, "image_voxels", where, hint);
    e.batch = field<std::int64_t>(item, "batch", where, hint);
    e.threads = field<int>(item, "threads", where, hint);
    e.cpu_ms_per_step = field<double>(item, "cpu_ms_per_step", where, hint);
    e.cpu_gemm_gflops = field<double>(item, "cpu_gemm_gflops", where, hint);
    if (e.parameters < 1 || e.batch < 1 || !(e.cpu_ms_per_step > 0) || !(e.cpu_gemm_gflops > 0))
      GALIEN_USER_ERROR(where << ": parameters, batch, cpu_ms_per_step and cpu_gemm_gflops must "
                        << "be positive");
    table.entries.push_back(e);
  }
  return table;
}

ComputeModel compute_from_cpu(double cpu_ms_per_sample, double cpu_gemm_gflops,
                              const Interconnect& net, std::int64_t parameter_tensors,
                              std::string source) {
  const double factor = net.gpu_fp32_tflops * 1e3 / cpu_gemm_gflops;
  ComputeModel compute;
  compute.ms_per_sample = cpu_ms_per_sample / factor;
  compute.floor_ms = launch_floor_ms(parameter_tensors);
  compute.source = std::move(source) + "; scaled to the GPU by its fp32 peak / the CPU's GEMM rate (" +
                   fixed(net.gpu_fp32_tflops, 1) + " TFLOP/s / " + fixed(cpu_gemm_gflops, 1) +
                   " GFLOP/s = " + fixed(factor, 0) + "x), at least " +
                   fixed(compute.floor_ms, 3) + " ms per step (" +
                   std::to_string(parameter_tensors) + " parameter tensors x " +
                   fixed(kKernelsPerParameterTensor, 0) + " kernels x " +
                   fixed(kLaunchMicroseconds, 0) + " us)";
  return compute;
}

ComputeModel compute_from_run(const RunTimings& run, const Interconnect& net,
                              std::int64_t parameter_tensors, double cpu_gemm_gflops) {
  const double local = static_cast<double>(run.local_batch());
  const std::string measured = "measured in " + run.run_dir + " (" + run.status + ", " +
                               std::to_string(run.world_size) + " rank(s) on " + run.device +
                               ", " + std::to_string(run.steps) + " steps, " +
                               fixed(run.compute_ms, 3) + " ms compute per step of " +
                               std::to_string(run.local_batch()) + " samples per rank)";
  ComputeModel compute;
  if (run.on_gpu()) {
    compute.ms_per_sample = run.compute_ms / local;
    compute.floor_ms = launch_floor_ms(parameter_tensors);
    compute.source = measured + "; used as measured (it must have run on the target GPU type)";
  } else {
    if (!(cpu_gemm_gflops > 0))
      GALIEN_USER_ERROR(run.run_dir << " ran on " << run.device << ": its step time says nothing "
                        << "about a GPU unless scaled; give --cpu-gflops G (the fp32 GEMM rate of "
                        << "the CPU that ran it: bench/bench_step_time prints it), or time a run "
                        << "on the target GPU");
    compute = compute_from_cpu(run.compute_ms / local, cpu_gemm_gflops, net, parameter_tensors,
                               measured);
  }
  compute.data_ms_per_sample = run.data_ms / local;
  return compute;
}

ComputeModel compute_from_table(const StepTimeTable& table, const std::string& model,
                                std::int64_t parameters, std::int64_t image_voxels,
                                const Interconnect& net, std::int64_t parameter_tensors) {
  auto size_of = [](double params, double voxels) { return params * std::max(1.0, voxels); };
  const double size = size_of(static_cast<double>(parameters), static_cast<double>(image_voxels));
  const StepTimeEntry* best = nullptr;
  double best_distance = 0;
  for (const StepTimeEntry& e : table.entries) {
    if (e.model != model) continue;
    const double distance = std::abs(std::log(
        size / size_of(static_cast<double>(e.parameters), static_cast<double>(e.image_voxels))));
    if (!best || distance < best_distance) best = &e, best_distance = distance;
  }
  if (!best) {
    std::string models;
    for (const StepTimeEntry& e : table.entries)
      if (models.find(e.model) == std::string::npos) models += (models.empty() ? "" : ", ") + e.model;
    GALIEN_USER_ERROR(table.file << " has no step time for model '" << model << "' (it has "
                      << models << "); time a short run on the target GPU and give --from-run "
                      << "RUN_DIR, or add the model with bench/bench_step_time");
  }
  const double scale =
      size / size_of(static_cast<double>(best->parameters), static_cast<double>(best->image_voxels));
  std::string source = "table " + table.file + " entry '" + best->name + "' (" +
                       std::to_string(best->parameters) + " parameters, batch " +
                       std::to_string(best->batch) + ", " + fixed(best->cpu_ms_per_step, 2) +
                       " ms per step on CPU: " + table.machine + ", " + table.measured + ")";
  if (std::abs(scale - 1) > 1e-9)
    source += ", x " + fixed(scale, 3) + " for this model's size (parameters" +
              std::string(image_voxels > 0 ? " x voxels" : "") + ": a rough proxy of its FLOPs)";
  return compute_from_cpu(best->cpu_ms_per_step / static_cast<double>(best->batch) * scale,
                          best->cpu_gemm_gflops, net, parameter_tensors, source);
}

}  // namespace galien::plan
