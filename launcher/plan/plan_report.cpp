#include "launcher/plan/plan_report.h"

#include "core/text.h"

#include <cmath>
#include <sstream>

namespace galien::plan {
namespace {


// 1234567 -> "1,234,567"
std::string grouped(double value) {
  std::string digits = fixed(std::round(value), 0);
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return (negative ? "-" : "") + digits;
}

// Milliseconds with enough digits for sub-millisecond collectives.
std::string ms(double value) { return fixed(value, value < 10 ? 3 : 1); }

std::string percent(double share) { return fixed(100 * share, 1) + "%"; }

}  // namespace

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) bytes /= 1000, ++unit;
  return fixed(bytes, unit == 0 ? 0 : 1) + " " + units[unit];
}

std::string human_duration(double hours) {
  const double seconds = hours * 3600;
  if (seconds < 120) return fixed(seconds, 1) + " s";
  if (seconds < 7200) return fixed(seconds / 60, 1) + " min";
  if (hours < 72) return fixed(hours, 1) + " h";
  return fixed(hours / 24, 1) + " days";
}

std::string render_text(const PlanContext& c, const Projection& p) {
  std::ostringstream out;
  const Workload& w = c.work;
  out << "galien plan: " << c.config_file << " on " << c.cluster << " (" << c.cluster_description
      << "), " << p.nodes << " node(s) x " << p.gpus_per_node << " GPU(s)\n"
      << "A projection from a model (docs/BENCHMARKS.md, \"Scaling projection\"), not a "
         "measurement.\n\n";
  out << "model           " << c.model << ": " << grouped(static_cast<double>(c.parameters))
      << " parameters in " << c.parameter_tensors << " tensors; gradients "
      << human_bytes(w.gradient_bytes) << " (fp32), " << w.buckets << " allreduce call(s) per step ("
      << c.gradient_sync << (c.gradient_sync == "bucketed" ? ", trainer.bucket_mb " + fixed(c.bucket_mb, 1) : "")
      << (w.accumulation > 1 ? ", every " + std::to_string(w.accumulation) + " batches" : "")
      << ")\n";
  if (!p.refused.empty()) {
    out << "refused         " << p.refused << "\n";
    return out.str();
  }
  out << "batch           " << p.global_batch << " global, " << p.local_batch << " per GPU"
      << (w.mode == BatchMode::kGlobal ? " (trainer.batch_size is the global batch)"
                                       : " (--batch-per-gpu: the global batch grows with GPUs)")
      << "\n";
  out << "compute         " << ms(p.compute_ms) << " ms per step"
      << (p.floor_binds ? " (the kernel-launch floor: the batch alone would take less)" : "")
      << "\n                source: " << c.compute.source << "\n";
  if (p.data_ms > 0) out << "data wait       " << ms(p.data_ms) << " ms per step (measured)\n";
  out << "allreduce       " << ms(1e3 * p.allreduce.total_s()) << " ms per step: intra-node "
      << ms(1e3 * p.allreduce.intra_s) << " ms, inter-node " << ms(1e3 * p.allreduce.inter_s)
      << " ms, call latency " << ms(1e3 * p.allreduce.calls_s) << " ms\n";
  out << "exposed comm    " << ms(p.exposed_comm_ms) << " ms (overlap with backward "
      << percent(w.overlap) << ": " << ms(p.hidden_ms) << " ms hidden; " << c.overlap_note
      << ")\n";
  out << "step            " << ms(p.step_ms) << " ms\n";
  out << "throughput      " << grouped(p.samples_per_s) << " samples/s; efficiency "
      << percent(p.efficiency) << " of " << p.gpus << " x one GPU\n";
  out << "time to train   " << human_duration(p.hours) << ": " << w.epochs << " epochs x "
      << p.steps_per_epoch << " steps of " << p.global_batch << " samples ("
      << grouped(static_cast<double>(w.train_samples)) << " training samples, " << c.samples_source
      << "); training steps only (no queue, start-up, evaluation or checkpoints)\n";
  out << "GPU-hours       " << fixed(p.gpu_hours, p.gpu_hours < 10 ? 2 : 0) << " ("
      << p.charged_gpus << " GPUs charged x " << fixed(p.hours, 3) << " h); " << c.charge_note
      << "\n";
  out << "network         " << c.net.nics_per_node << " x " << fixed(c.net.nic_gbits_s, 0)
      << " Gbit/s NICs per node x " << c.net.bandwidth_efficiency << " = "
      << fixed(c.net.node_injection_bytes_s() / 1e9, 1) << " GB/s; intra-node "
      << fixed(c.net.intra_node_gbytes_s, 0) << " GB/s per GPU x " << c.net.bandwidth_efficiency
      << "; " << c.net.gpu << ", " << fixed(c.net.gpu_fp32_tflops, 1) << " TFLOP/s fp32\n"
      << "                sources: " << c.net.source << "\n";
  return out.str();
}

std::string render_sweep_markdown(const std::vector<Projection>& rows) {
  std::ostringstream out;
  out << "| nodes | GPUs | batch per GPU | compute ms | allreduce ms (intra / inter / calls) | "
         "exposed comm ms | step ms | samples/s | efficiency | time to train | GPU-hours |\n"
      << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Projection& p : rows) {
    if (!p.refused.empty()) {
      out << "| " << p.nodes << " | " << p.gpus << " | " << p.refused
          << " | | | | | | | | |\n";
      continue;
    }
    out << "| " << p.nodes << " | " << p.gpus << " | " << p.local_batch << " | "
        << ms(p.compute_ms) << (p.floor_binds ? " (floor)" : "") << " | "
        << ms(1e3 * p.allreduce.total_s()) << " (" << ms(1e3 * p.allreduce.intra_s) << " / "
        << ms(1e3 * p.allreduce.inter_s) << " / " << ms(1e3 * p.allreduce.calls_s) << ") | "
        << ms(p.exposed_comm_ms) << " | " << ms(p.step_ms) << " | " << grouped(p.samples_per_s)
        << " | " << percent(p.efficiency) << " | " << human_duration(p.hours) << " | "
        << fixed(p.gpu_hours, p.gpu_hours < 10 ? 2 : 0) << " |\n";
  }
  return out.str();
}

nlohmann::json projection_json(const Projection& p) {
  nlohmann::json json = {{"nodes", p.nodes}, {"gpus_per_node", p.gpus_per_node},
                         {"gpus", p.gpus}, {"charged_gpus", p.charged_gpus}};
  if (!p.refused.empty()) {
    json["refused"] = p.refused;
    return json;
  }
  json.update({{"global_batch", p.global_batch},
               {"local_batch", p.local_batch},
               {"compute_ms", p.compute_ms},
               {"compute_is_launch_floor", p.floor_binds},
               {"data_ms", p.data_ms},
               {"allreduce_ms",
                {{"total", 1e3 * p.allreduce.total_s()},
                 {"intra_node", 1e3 * p.allreduce.intra_s},
                 {"inter_node", 1e3 * p.allreduce.inter_s},
                 {"calls", 1e3 * p.allreduce.calls_s},
                 {"buckets", p.allreduce.buckets}}},
               {"hidden_comm_ms", p.hidden_ms},
               {"exposed_comm_ms", p.exposed_comm_ms},
               {"step_ms", p.step_ms},
               {"samples_per_s", p.samples_per_s},
               {"efficiency", p.efficiency},
               {"steps_per_epoch", p.steps_per_epoch},
               {"hours_to_train", p.hours},
               {"gpu_hours", p.gpu_hours}});
  return json;
}

nlohmann::json render_json(const PlanContext& c, const Projection& chosen,
                           const std::vector<Projection>& rows) {
  nlohmann::json sweep = nlohmann::json::array();
  for (const Projection& p : rows) sweep.push_back(projection_json(p));
  return {{"kind", "projection"},
          {"config", c.config_file},
          {"cluster", c.cluster},
          {"model", {{"name", c.model}, {"parameters", c.parameters},
                     {"parameter_tensors", c.parameter_tensors},
                     {"gradient_bytes", c.work.gradient_bytes},
                     {"gradient_sync", c.gradient_sync},
                     {"bucket_mb", c.bucket_mb},
                     {"buckets", c.work.buckets}}},
          {"workload", {{"train_samples", c.work.train_samples},
                        {"samples_source", c.samples_source},
                        {"epochs", c.work.epochs},
                        {"batch_mode", c.work.mode == BatchMode::kGlobal ? "global" : "per_gpu"},
                        {"batch", c.work.batch},
                        {"gradient_accumulation", c.work.accumulation},
                        {"overlap", c.work.overlap},
                        {"overlap_note", c.overlap_note}}},
          {"compute", {{"ms_per_sample", c.compute.ms_per_sample},
                       {"floor_ms", c.compute.floor_ms},
                       {"data_ms_per_sample", c.compute.data_ms_per_sample},
                       {"source", c.compute.source}}},
          {"interconnect", {{"gpu", c.net.gpu},
                            {"gpu_fp32_tflops", c.net.gpu_fp32_tflops},
                            {"intra_node_gbytes_s", c.net.intra_node_gbytes_s},
                            {"nics_per_node", c.net.nics_per_node},
                            {"nic_gbits_s", c.net.nic_gbits_s},
                            {"bandwidth_efficiency", c.net.bandwidth_efficiency},
                            {"source", c.net.source}}},
          {"charge_note", c.charge_note},
          {"projection", projection_json(chosen)},
          {"sweep", sweep}};
}

}  // namespace galien::plan
