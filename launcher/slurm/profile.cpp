// Profile files are validated like configs: an unknown key gets file:line:column and the closest
// valid key, a bad value says what is allowed. Nothing is defaulted silently except what the
// header documents.
#include "launcher/slurm/profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/config/suggest.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/text.h"
#include "launcher/slurm/time_limit.h"

#ifndef GALIEN_PROFILE_DIR
#define GALIEN_PROFILE_DIR "slurm"
#endif

namespace galien::slurm {
namespace {

namespace fs = std::filesystem;


// Reads typed values out of one profile file, failing with file:line:column.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    const YAML::Mark mark = at.Mark();
    if (mark.is_null()) throw UserError(file_ + ": " + message);
    throw UserError(file_ + ":" + std::to_string(mark.line + 1) + ":" +
                    std::to_string(mark.column + 1) + ": " + message);
  }

  // Every key of `map` must be in `allowed` (and appear once).
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    if (!map.IsMap()) fail(map, where + " must be a map of keys");
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) fail(entry.first, "duplicate key '" + key + "'");
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string message = "unknown key '" + key + "' in " + where;
      if (auto near = closest_match(key, allowed))
        message += "; did you mean '" + *near + "'?";
      else
        message += "; valid keys: " + joined(allowed);
      fail(entry.first, message);
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key + " must be a string");
    return node.Scalar();
  }

  int integer(const YAML::Node& node, const std::string& key, int min, int max) const {
    const std::string value = node.IsScalar() ? node.Scalar() : "";
    const bool digits = !value.empty() && value.size() < 8 &&
                        value.find_first_not_of("0123456789") == std::string::npos;
    const int parsed = digits ? std::stoi(value) : -1;
    if (parsed < min || parsed > max)
      fail(node, key + " must be an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got '" + value + "'");
    return parsed;
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    bool value = false;
    if (!YAML::convert<bool>::decode(node, value)) fail(node, key + " must be true or false");
    return value;
  }

  long time(const YAML::Node& node, const std::string& key) const {
    const std::string value = text(node, key);
    std::optional<long> seconds = parse_time_limit(value);
    if (!seconds)
      fail(node, key + " must be a Slurm time such as \"20:00:00\" or \"2-00:00:00\", got '" +
                     value + "'");
    return *seconds;
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(node, key + " must be a list of strings");
    std::vector<std::string> items;
    for (const YAML::Node& item : node) items.push_back(text(item, key + " item"));
    return items;
  }

  template <class T>
  T choice(const YAML::Node& node, const std::string& key,
           const std::vector<std::pair<std::string, T>>& choices) const {
    const std::string value = text(node, key);
    std::vector<std::string> names;
    for (const auto& [name, result] : choices) {
      if (name == value) return result;
      names.push_back(name);
    }
    std::string message = key + " must be one of " + joined(names) + ", got '" + value + "'";
    if (auto near = closest_match(value, names)) message += "; did you mean '" + *near + "'?";
    fail(node, message);
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

void read_node(const Reader& in, const YAML::Node& node, Profile& profile) {
  in.check_keys(node, {"gpus", "cores"}, "'node'");
  if (node["gpus"]) profile.gpus_per_node = in.integer(node["gpus"], "node.gpus", 0, 64);
  if (node["cores"]) profile.cores_per_node = in.integer(node["cores"], "node.cores", 0, 4096);
}

void read_account(const Reader& in, const YAML::Node& node, Profile& profile) {
  in.check_keys(node, {"format", "required"}, "'account'");
  if (node["format"]) {
    profile.account_format = in.text(node["format"], "account.format");
    if (profile.account_format.find("{account}") == std::string::npos)
      in.fail(node["format"], "account.format must contain {account}, e.g. \"{account}@h100\"");
  }
  if (node["required"]) profile.account_required = in.boolean(node["required"], "account.required");
}

void read_qos(const Reader& in, const YAML::Node& list, Profile& profile) {
  if (!list.IsSequence()) in.fail(list, "qos must be a list of {name, max_time} maps");
  for (const YAML::Node& item : list) {
    in.check_keys(item, {"name", "max_time", "max_gpus", "auto"}, "a qos entry");
    if (!item["name"] || !item["max_time"]) in.fail(item, "a qos entry needs name and max_time");
    Qos qos;
    qos.name = in.text(item["name"], "qos name");
    qos.max_time_s = in.time(item["max_time"], "qos max_time");
    if (item["max_gpus"]) qos.max_gpus = in.integer(item["max_gpus"], "qos max_gpus", 0, 1000000);
    if (item["auto"]) qos.automatic = in.boolean(item["auto"], "qos auto");
    profile.qos.push_back(qos);
  }
}

void read_environment(const Reader& in, const YAML::Node& map, Profile& profile) {
  if (!map.IsMap()) in.fail(map, "environment must be a map of NAME: value");
  for (const auto& entry : map) {
    const std::string name = entry.first.Scalar();
    if (name.empty() ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      in.fail(entry.first, "environment: '" + name + "' is not a variable name");
    profile.environment.emplace_back(name, in.text(entry.second, "environment." + name));
  }
}

void read_scratch(const Reader& in, const YAML::Node& node, Profile& profile) {
  in.check_keys(node, {"dir", "per_node"}, "'scratch'");
  if (node["dir"]) profile.scratch = in.text(node["dir"], "scratch.dir");
  if (node["per_node"]) profile.scratch_per_node = in.boolean(node["per_node"], "scratch.per_node");
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

void read_top_level(const Reader& in, const YAML::Node& root, Profile& p) {
  in.check_keys(
      root,
      {"description", "scheduler", "node", "gpu_request", "gpu_bind", "gpu_visible_env",
       "partition", "constraint", "hint_nomultithread", "directives", "account", "qos", "max_time",
       "default_time", "module_purge", "modules", "launcher", "environment", "scratch",
       "interconnect"},  // read and checked by galien plan (launcher/plan/interconnect.h)
      "the profile");
  auto has = [&](const char* key) { return static_cast<bool>(root[key]); };
  if (has("description")) p.description = in.text(root["description"], "description");
  if (has("scheduler"))
    p.scheduler =
        in.choice<Scheduler>(root["scheduler"], "scheduler",
                             {{"slurm", Scheduler::kSlurm}, {"bridge", Scheduler::kBridge}});
  if (has("node")) read_node(in, root["node"], p);
  if (has("gpu_request"))
    p.gpu_request = in.choice<GpuRequest>(root["gpu_request"], "gpu_request",
                                          {{"gres", GpuRequest::kGres},
                                           {"gpus-per-node", GpuRequest::kGpusPerNode},
                                           {"implicit", GpuRequest::kImplicit}});
  if (has("gpu_bind")) p.gpu_bind = in.text(root["gpu_bind"], "gpu_bind");
  if (has("gpu_visible_env"))
    p.gpu_visible_env = in.text(root["gpu_visible_env"], "gpu_visible_env");
  if (has("partition")) p.partition = in.text(root["partition"], "partition");
  if (has("constraint")) p.constraint = in.text(root["constraint"], "constraint");
  if (has("hint_nomultithread"))
    p.hint_nomultithread = in.boolean(root["hint_nomultithread"], "hint_nomultithread");
  if (has("directives")) p.directives = in.strings(root["directives"], "directives");
  if (has("account")) read_account(in, root["account"], p);
  if (has("qos")) read_qos(in, root["qos"], p);
  if (has("max_time")) p.max_time_s = in.time(root["max_time"], "max_time");
  if (has("default_time")) p.default_time_s = in.time(root["default_time"], "default_time");
  if (has("module_purge")) p.module_purge = in.boolean(root["module_purge"], "module_purge");
  if (has("modules")) p.modules = in.strings(root["modules"], "modules");
  if (has("launcher")) {
    p.launcher = words(in.text(root["launcher"], "launcher"));
    if (p.launcher.empty()) in.fail(root["launcher"], "launcher must name a command, e.g. srun");
  }
  if (has("environment")) read_environment(in, root["environment"], p);
  if (has("scratch")) read_scratch(in, root["scratch"], p);
}

// Rules between keys, reported at the file (they may come from different lines).
void check_consistency(const Reader& in, const Profile& p) {
  if (!p.qos.empty() && p.max_time_s > 0)
    GALIEN_USER_ERROR(in.file() << ": give max_time per qos entry or max_time alone, not both");
  if (p.gpus_per_node == 0 && !p.gpu_bind.empty())
    GALIEN_USER_ERROR(in.file() << ": gpu_bind needs node.gpus > 0");
  if (!p.qos.empty() &&
      std::none_of(p.qos.begin(), p.qos.end(), [](const Qos& q) { return q.automatic; }))
    GALIEN_USER_ERROR(in.file() << ": every qos entry has auto: false; mark at least one "
                                   "auto: true so a QoS can be chosen from --time");
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

Profile read_profile_file(const std::string& path) {
  const Reader in(path);
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::ParserException& e) {
    in.fail(YAML::Node(),
            "line " + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  Profile profile;
  profile.name = fs::path(path).stem().string();
  profile.file = path;
  read_top_level(in, root, profile);
  check_consistency(in, profile);
  return profile;
}

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
