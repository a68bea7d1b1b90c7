// run_card.md: what a reader of a finished run needs to trust or reproduce it — code version,
// library versions, machine and devices, world size, data identity, the resolved config, where
// a step's time went and the final metrics. No LibTorch: versions come from the build.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "trainers/observability/host_info.h"
#include "trainers/observability/step_timings.h"

namespace galien {

struct RunCardInfo {
  const Config& config;
  const Manifest& manifest;
  std::string manifest_sha256;
  int world_size;
  int threads_per_rank;
  // summary.json: status, time_s, metrics, timings_ms_per_step (StepTimings::to_json), and
  // device (the trainer's describe_device, e.g. "cpu" or "cuda:0 (...)") when present.
  const nlohmann::json& summary;
};

// Where the code and libraries come from, and the machine of rank 0.
struct RunEnvironment {
  std::string galien_version, git_commit, torch_version, mpi_version, hdf5_version;
  HostInfo host;
};

// This build's versions (git commit and LibTorch version recorded at configure time, MPI and
// HDF5 asked of the libraries at run time) and this machine.
RunEnvironment current_run_environment();

std::string render_run_card(const RunCardInfo& info, const RunEnvironment& environment);
std::string render_run_card(const RunCardInfo& info);  // with current_run_environment()

// Markdown table of summary.json's timings_ms_per_step: data wait, compute, communication and
// their total, in ms per step and as shares of the step.
std::string render_step_timings(const nlohmann::json& timings_ms_per_step);

}  // namespace galien
