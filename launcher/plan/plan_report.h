// What `galien plan` prints: the projection for the user's job, the sweep table (the same one
// docs/BENCHMARKS.md shows), and the JSON of both. Every output names its compute source and
// says it is a projection.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/plan/interconnect.h"
#include "launcher/plan/scaling_model.h"

namespace galien::plan {

struct PlanContext {
  std::string config_file;
  std::string model;                  // model.name
  std::int64_t parameters = 0;
  std::int64_t parameter_tensors = 0;
  std::string gradient_sync;          // trainer.gradient_sync: bucketed | flat
  double bucket_mb = 0;               // trainer.bucket_mb
  std::string overlap_note;           // where the overlap fraction comes from
  std::string cluster;                // profile name
  std::string cluster_description;
  std::string samples_source;         // "manifest runs/shards/wdbc" or "--samples"
  std::string charge_note;            // how the centre counts GPU-hours on this machine
  Interconnect net;
  ComputeModel compute;
  Workload work;
};

std::string render_text(const PlanContext& context, const Projection& chosen);
// The sweep as a Markdown table (rows from sweep()).
std::string render_sweep_markdown(const std::vector<Projection>& rows);
nlohmann::json render_json(const PlanContext& context, const Projection& chosen,
                           const std::vector<Projection>& rows);
nlohmann::json projection_json(const Projection& p);

// "6.2 KB", "44.7 MB": decimal units, as network figures are quoted.
std::string human_bytes(double bytes);
// "12.4 s", "3.2 min", "5.1 h", "2.3 days".
std::string human_duration(double hours);

}  // namespace galien::plan
