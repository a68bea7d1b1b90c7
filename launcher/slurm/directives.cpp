#include "launcher/slurm/directives.h"

#include <map>

#include "launcher/slurm/shell.h"
#include "launcher/slurm/time_limit.h"

namespace galien::slurm {
namespace {

std::string gpu_option(GpuRequest request) {
  return request == GpuRequest::kGpusPerNode ? "gpus-per-node" : "gres";
}

// Bridge has no per-node task count: it takes the total (-n) and the node count (-N).
void add_tasks(const Profile& profile, const JobResources& job, std::vector<Directive>& out) {
  if (profile.scheduler == Scheduler::kBridge) {
    out.push_back({"ntasks", std::to_string(job.tasks())});
  } else {
    out.push_back({"ntasks-per-node", std::to_string(job.tasks_per_node)});
  }
}

void add_gpus(const Profile& profile, const JobResources& job, std::vector<Directive>& out) {
  if (job.gpus_per_node == 0 || profile.gpu_request == GpuRequest::kImplicit) return;
  const std::string count = std::to_string(job.gpus_per_node);
  out.push_back({gpu_option(profile.gpu_request),
                 profile.gpu_request == GpuRequest::kGres ? "gpu:" + count : count});
}

// "--threads-per-core=1" -> {threads-per-core, 1}; "-m scratch" stays whole (a Bridge letter).
Directive parse_extra(const std::string& text) {
  if (text.rfind("--", 0) != 0) return {text, "", true};
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos) return {text.substr(2), ""};
  return {text.substr(2, equals - 2), text.substr(equals + 1)};
}

std::string sbatch_line(const Directive& d) {
  if (d.verbatim) return "#SBATCH " + d.option + "\n";
  return "#SBATCH --" + d.option + (d.value.empty() ? "" : "=" + d.value) + "\n";
}

// Bridge's letters for the options it knows (ccc_msub -h); time is in seconds there.
std::string msub_line(const Directive& d) {
  static const std::map<std::string, std::string> letters = {
      {"job-name", "-r"}, {"nodes", "-N"},     {"ntasks", "-n"},  {"cpus-per-task", "-c"},
      {"time", "-T"},     {"partition", "-q"}, {"account", "-A"}, {"qos", "-Q"},
      {"output", "-o"},   {"error", "-e"}};
  if (d.verbatim) return "#MSUB " + d.option + "\n";
  auto letter = letters.find(d.option);
  if (letter == letters.end()) return "";
  std::string value = d.value;
  if (d.option == "time") value = std::to_string(*parse_time_limit(d.value));
  return "#MSUB " + letter->second + " " + shell_quote(value) + "\n";
}

std::string format_bridge(const std::vector<Directive>& directives) {
  std::string lines;
  std::string extra;  // Slurm options without a Bridge letter, passed through with -E
  for (const Directive& d : directives) {
    const std::string line = msub_line(d);
    if (!line.empty()) {
      lines += line;
      continue;
    }
    if (d.option == "output" || d.option == "error") continue;
    extra += (extra.empty() ? "--" : " --") + d.option + (d.value.empty() ? "" : "=" + d.value);
  }
  if (!extra.empty()) lines += "#MSUB -E \"" + extra + "\"\n";
  return lines;
}

}  // namespace

std::vector<Directive> resource_directives(const Profile& profile, const JobResources& job) {
  std::vector<Directive> out;
  out.push_back({"nodes", std::to_string(job.nodes)});
  add_tasks(profile, job, out);
  out.push_back({"cpus-per-task", std::to_string(job.cpus_per_task)});
  add_gpus(profile, job, out);
  if (profile.hint_nomultithread) out.push_back({"hint", "nomultithread"});
  out.push_back({"time", format_time_limit(job.time_s)});
  if (!job.account.empty()) out.push_back({"account", job.account});
  if (!job.qos.empty()) out.push_back({"qos", job.qos});
  if (!job.partition.empty()) out.push_back({"partition", job.partition});
  if (!job.constraint.empty()) out.push_back({"constraint", job.constraint});
  for (const std::string& extra : profile.directives) out.push_back(parse_extra(extra));
  return out;
}

std::string format_directives(Scheduler scheduler, const std::vector<Directive>& directives) {
  if (scheduler == Scheduler::kBridge) return format_bridge(directives);
  std::string lines;
  for (const Directive& d : directives) lines += sbatch_line(d);
  return lines;
}

}  // namespace galien::slurm
