// Profile files are read with the YAML reader of core/yaml, like configs: an unknown key gets
// FILE:LINE:COLUMN and the closest valid key, a bad value says what is allowed. Nothing is
// defaulted silently except what the header documents.
#include "launcher/slurm/profile.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/config/suggest.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"
#include "core/yaml/document.h"
#include "launcher/slurm/time_limit.h"

#ifndef GALIEN_PROFILE_DIR
#define GALIEN_PROFILE_DIR "slurm"
#endif

namespace galien::slurm {
namespace {

namespace fs = std::filesystem;

using yaml::closed;

long time_value(const yaml::Node& node) {
  const std::string value = node.as_string();
  std::optional<long> seconds = parse_time_limit(value);
  if (!seconds)
    node.fail(node.path() + " must be a Slurm time such as \"20:00:00\" or \"2-00:00:00\", got '" +
              value + "'");
  return *seconds;
}

void read_node(const yaml::Node& node, Profile& profile) {
  node.allow_keys({"gpus", "cores"});
  if (auto gpus = node.optional("gpus")) profile.gpus_per_node = gpus->as_int<int>(closed(0, 64));
  if (auto cores = node.optional("cores"))
    profile.cores_per_node = cores->as_int<int>(closed(0, 4096));
}

void read_account(const yaml::Node& node, Profile& profile) {
  node.allow_keys({"format", "required"});
  if (auto format = node.optional("format")) {
    profile.account_format = format->as_string();
    if (profile.account_format.find("{account}") == std::string::npos)
      format->fail("account.format must contain {account}, e.g. \"{account}@h100\"");
  }
  if (auto required = node.optional("required")) profile.account_required = required->as_bool();
}

void read_qos(const yaml::Node& list, Profile& profile) {
  if (!list.is_list()) list.fail("qos must be a list of {name, max_time} maps, got " + list.shown());
  for (const yaml::Node& item : list.items()) {
    item.allow_keys({"name", "max_time", "max_gpus", "auto"});
    Qos qos;
    qos.name = item.required("name").as_string();
    qos.max_time_s = time_value(item.required("max_time"));
    if (auto max_gpus = item.optional("max_gpus")) qos.max_gpus = max_gpus->as_int<int>(closed(0, 1000000));
    if (auto automatic = item.optional("auto")) qos.automatic = automatic->as_bool();
    profile.qos.push_back(qos);
  }
}

void read_environment(const yaml::Node& map, Profile& profile) {
  if (!map.is_map()) map.fail("environment must be a map of NAME: value, got " + map.shown());
  for (const yaml::Node::Entry& entry : map.entries()) {
    const std::string& name = entry.key;
    if (name.empty() ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      entry.key_node.fail("environment: '" + name + "' is not a variable name (letters, digits "
                          "and _ only)");
    profile.environment.emplace_back(name, entry.value.as_string());
  }
}

void read_scratch(const yaml::Node& node, Profile& profile) {
  node.allow_keys({"dir", "per_node"});
  if (auto dir = node.optional("dir")) profile.scratch = dir->as_string();
  if (auto per_node = node.optional("per_node")) profile.scratch_per_node = per_node->as_bool();
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> result;
  std::size_t start = 0;
  while ((start = text.find_first_not_of(" \t", start)) != std::string::npos) {
    const std::size_t end = text.find_first_of(" \t", start);
    result.push_back(text.substr(start, end - start));
    start = end;
  }
  return result;
}

void read_top_level(const yaml::Node& root, Profile& p) {
  root.allow_keys(
      {"description", "scheduler", "node", "gpu_request", "gpu_bind", "gpu_visible_env",
       "partition", "constraint", "hint_nomultithread", "directives", "account", "qos", "max_time",
       "default_time", "module_purge", "modules", "launcher", "environment", "scratch",
       "interconnect"});  // read and checked by galien plan (launcher/plan/interconnect.h)
  if (auto n = root.optional("description")) p.description = n->as_string();
  if (auto n = root.optional("scheduler"))
    p.scheduler =
        n->as_choice<Scheduler>({{"slurm", Scheduler::kSlurm}, {"bridge", Scheduler::kBridge}});
  if (auto n = root.optional("node")) read_node(*n, p);
  if (auto n = root.optional("gpu_request"))
    p.gpu_request = n->as_choice<GpuRequest>({{"gres", GpuRequest::kGres},
                                              {"gpus-per-node", GpuRequest::kGpusPerNode},
                                              {"implicit", GpuRequest::kImplicit}});
  if (auto n = root.optional("gpu_bind")) p.gpu_bind = n->as_string();
  if (auto n = root.optional("gpu_visible_env")) p.gpu_visible_env = n->as_string();
  if (auto n = root.optional("partition")) p.partition = n->as_string();
  if (auto n = root.optional("constraint")) p.constraint = n->as_string();
  if (auto n = root.optional("hint_nomultithread")) p.hint_nomultithread = n->as_bool();
  if (auto n = root.optional("directives")) p.directives = n->as_strings();
  if (auto n = root.optional("account")) read_account(*n, p);
  if (auto n = root.optional("qos")) read_qos(*n, p);
  if (auto n = root.optional("max_time")) p.max_time_s = time_value(*n);
  if (auto n = root.optional("default_time")) p.default_time_s = time_value(*n);
  if (auto n = root.optional("module_purge")) p.module_purge = n->as_bool();
  if (auto n = root.optional("modules")) p.modules = n->as_strings();
  if (auto n = root.optional("launcher")) {
    p.launcher = words(n->as_string());
    if (p.launcher.empty()) n->fail("launcher must name a command, e.g. srun");
  }
  if (auto n = root.optional("environment")) read_environment(*n, p);
  if (auto n = root.optional("scratch")) read_scratch(*n, p);
}

// Rules between keys, reported at the line to change.
void check_consistency(const yaml::Node& root, const Profile& p) {
  if (!p.qos.empty() && p.max_time_s > 0)
    root.required("max_time").fail("give max_time per qos entry or max_time alone, not both");
  if (p.gpus_per_node == 0 && !p.gpu_bind.empty())
    root.required("gpu_bind").fail("gpu_bind needs node.gpus > 0: set node.gpus or remove "
                                   "gpu_bind");
  if (!p.qos.empty() &&
      std::none_of(p.qos.begin(), p.qos.end(), [](const Qos& q) { return q.automatic; }))
    root.required("qos").fail("every qos entry has auto: false; mark at least one auto: true so "
                              "a QoS can be chosen from --time");
}

bool is_profile_path(const std::string& name) {
  return name.find('/') != std::string::npos ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, ".yaml") == 0);
}

}  // namespace

std::vector<std::string> profile_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GALIEN_PROFILE_PATH")) {
    std::string path = env;
    std::size_t start = 0;
    for (std::size_t colon; (colon = path.find(':', start)) != std::string::npos; start = colon + 1)
      if (colon > start) dirs.push_back(path.substr(start, colon - start));
    if (start < path.size()) dirs.push_back(path.substr(start));
  }
  dirs.push_back(GALIEN_PROFILE_DIR);
  return dirs;
}

std::vector<std::string> available_profiles() {
  std::set<std::string> names;
  for (const std::string& dir : profile_search_path()) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
      if (entry.path().extension() == ".yaml") names.insert(entry.path().stem().string());
  }
  return {names.begin(), names.end()};
}

Profile read_profile_text(const std::string& text, const std::string& file) {
  const yaml::Node root = yaml::parse(text, file);
  Profile profile;
  profile.name = fs::path(file).stem().string();
  profile.file = file;
  read_top_level(root, profile);
  check_consistency(root, profile);
  return profile;
}

Profile read_profile_file(const std::string& path) { return read_profile_text(read_file(path), path); }

Profile load_profile(const std::string& name) {
  if (is_profile_path(name)) {
    if (!fs::exists(name)) GALIEN_USER_ERROR("--cluster " << name << ": no such profile file");
    return read_profile_file(name);
  }
  for (const std::string& dir : profile_search_path()) {
    const fs::path file = fs::path(dir) / (name + ".yaml");
    if (fs::exists(file)) return read_profile_file(file.string());
  }
  const std::vector<std::string> names = available_profiles();
  std::string message = "--cluster " + name + ": no such cluster profile";
  if (auto near = closest_match(name, names)) message += "; did you mean '" + *near + "'?";
  message += " Profiles: " + joined(names) + " (in slurm/ or $GALIEN_PROFILE_PATH)";
  if (name == "local") message += "; without --cluster, galien launch runs mpirun here";
  throw UserError(message);
}

}  // namespace galien::slurm
