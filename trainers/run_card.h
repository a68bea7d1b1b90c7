// run_card.md: what a reader of a finished run needs to trust or reproduce it — code version,
// library versions, world size, data identity, the resolved config, timings and final metrics.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/config/config.h"
#include "datasets/manifest.h"
#include "trainers/step_timings.h"

namespace galien {

struct RunCardInfo {
  const Config& config;
  const Manifest& manifest;
  std::string manifest_sha256;
  int world_size;
  int threads_per_rank;
  const nlohmann::json& summary;
};

std::string render_run_card(const RunCardInfo& info);

}  // namespace galien
