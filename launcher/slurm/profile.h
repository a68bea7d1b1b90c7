// A cluster profile (slurm/<name>.yaml): what a seasoned user of one machine knows and puts in
// every job script — node shape, how GPUs are requested and bound, account format, QoS and their
// limits, modules, the MPI launcher, environment, job scratch. docs/clusters.md documents the
// keys; slurm/generic.yaml is the commented template for a new machine.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace galien::slurm {

enum class Scheduler {
  kSlurm,   // sbatch, #SBATCH directives
  kBridge,  // TGCC's Bridge over Slurm: ccc_msub, #MSUB directives, ccc_mprun
};

// How the job asks for its GPUs.
enum class GpuRequest {
  kGres,         // --gres=gpu:N per node (Jean Zay)
  kGpusPerNode,  // --gpus-per-node=N (Adastra)
  kImplicit,     // the scheduler gives GPUs with the cores (Irene's -q v100)
};

struct Qos {
  std::string name;
  long max_time_s = 0;
  int max_gpus = 0;       // per job; 0 = no limit recorded
  bool automatic = true;  // false: only when asked for by name (debug QoS)
};

struct Profile {
  std::string name;  // the file stem: "jean-zay-h100"
  std::string file;  // where it was read from
  std::string description;
  Scheduler scheduler = Scheduler::kSlurm;

  int gpus_per_node = 0;   // 0: CPU-only nodes, tasks per node come from the request
  int cores_per_node = 0;  // physical cores; 0 = unknown (one CPU per task by default)
  GpuRequest gpu_request = GpuRequest::kGres;
  std::string gpu_bind;                                  // srun --gpu-bind value; "" = none
  std::string gpu_visible_env = "CUDA_VISIBLE_DEVICES";  // printed per task in the job log

  std::string partition;
  std::string constraint;
  bool hint_nomultithread = false;
  std::vector<std::string> directives;  // more options, written as-is after #SBATCH / #MSUB

  std::string account_format = "{account}";  // "{account}@h100"
  bool account_required = false;

  std::vector<Qos> qos;  // empty: no --qos; max_time_s applies
  long max_time_s = 0;   // 0 = no limit (only when qos is empty)
  long default_time_s = 3600;

  bool module_purge = false;
  std::vector<std::string> modules;
  std::vector<std::string> launcher{"srun", "--mpi=pmix"};
  std::vector<std::pair<std::string, std::string>> environment;  // values are shell words

  std::string scratch;            // shell expression of the job's scratch; "" = no staging
  bool scratch_per_node = false;  // node-local: stage on every node
};

// The directories searched for `--cluster NAME`, in order: $GALIEN_PROFILE_PATH (':'-separated),
// then the slurm/ folder of this source tree.
std::vector<std::string> profile_search_path();

// NAME is a profile name looked up in profile_search_path(), or a path to a .yaml file.
// Throws UserError: unknown name (with the closest name and the list), or a file problem with
// file:line:column and what is allowed.
Profile load_profile(const std::string& name_or_path);

// Reads one profile file; `name` defaults to the file stem.
Profile read_profile_file(const std::string& path);
// The same for a profile's `text`, `file` naming it in messages and giving its name; touches no
// file (the entry point of tests and of the profile reader's fuzz target).
Profile read_profile_text(const std::string& text, const std::string& file);

// Names of every profile found, sorted, for messages and `galien launch --help`.
std::vector<std::string> available_profiles();

}  // namespace galien::slurm
