// load_config: parse with the YAML reader (core/yaml), validate each file on its own against the
// schema, follow `extends:`, apply overrides, fill Config from the schema table and write the
// resolved config. Validation happens per file, before merging, because after a merge nobody
// knows which file a bad line came from; the origin of every value is kept (Config::origins) for
// the checks that can only run on the merged result.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/config/tasks.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/yaml/document.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// Where each value of a tree was written, by dotted path (list items "path[i]"): Config::origins.
using Origins = std::map<std::string, std::string>;

// A validated tree (a map) and the origin of each of its values.
struct Layer {
  YAML::Node tree;
  Origins origins;
};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(path.substr(start, dot - start));
  parts.push_back(path.substr(start));
  return parts;
}

// {a: {b: value}} for the keys a, b.
YAML::Node nested(const std::vector<std::string>& keys, YAML::Node value) {
  for (auto key = keys.rbegin(); key != keys.rend(); ++key) {
    YAML::Node parent(YAML::NodeType::Map);
    parent[*key] = value;
    value.reset(parent);  // reset, not =: assigning a Node overwrites the node it refers to
  }
  return value;
}

// ---- Validation -----------------------------------------------------------------------------

// Every key of `map` is a key or section of the schema (or `extends` at the top of a file), and
// every value is valid for its key. The reader (core/yaml) reports where and suggests the key.
void validate_section(const yaml::Node& map, bool in_file) {
  std::vector<std::string> valid = section_keys(map.path());
  if (map.path().empty() && in_file) valid.push_back("extends");
  map.allow_keys(valid);
  for (const yaml::Node::Entry& entry : map.entries()) {
    const yaml::Node& value = entry.value;
    if (value.path() == "extends") continue;  // followed, and checked, by base_of
    if (!is_section(value.path())) {
      check_value(*find_field(value.path()), value);
    } else if (!value.is_null()) {  // null: a section whose keys are all commented out
      validate_section(value, in_file);
    }
  }
}

void validate_tree(const yaml::Node& root, bool in_file) {
  if (!root.is_map())
    root.fail("the top level must be a map of sections such as 'trainer:', got " + root.shown());
  validate_section(root, in_file);
}

// The origin of every value under `node`, and of each item of a list.
void record_origins(const yaml::Node& node, Origins& origins) {
  if (node.is_map()) {
    for (const yaml::Node::Entry& entry : node.entries()) record_origins(entry.value, origins);
    return;
  }
  origins[node.path()] = node.where();
  if (node.is_list())
    for (const yaml::Node& item : node.items()) origins[item.path()] = item.where();
}

// ---- Merging --------------------------------------------------------------------------------

// Whether the origin recorded for `key` belongs to the value at `path`: the path itself, a key
// below it or one of its list items.
bool under(const std::string& key, const std::string& path) {
  return key.compare(0, path.size(), path) == 0 &&
         (key.size() == path.size() || key[path.size()] == '.' || key[path.size()] == '[');
}

// The value at `path` was replaced by the overlay's: so were the origins.
void replace_origins(Origins& origins, const Origins& overlay, const std::string& path) {
  // Keys starting with `path` are contiguous in a sorted map, from lower_bound(path).
  for (auto it = origins.lower_bound(path);
       it != origins.end() && it->first.compare(0, path.size(), path) == 0;)
    it = under(it->first, path) ? origins.erase(it) : std::next(it);
  for (auto it = overlay.lower_bound(path);
       it != overlay.end() && it->first.compare(0, path.size(), path) == 0; ++it)
    if (under(it->first, path)) origins.insert(*it);
}

// Child wins: maps merge key by key, scalars and lists replace. A null where the base has a map
// is a section with every key commented out and leaves the base's section alone.
void merge_into(YAML::Node base, const YAML::Node& overlay, const std::string& prefix,
                Origins& origins, const Origins& overlay_origins) {
  for (const auto& entry : overlay) {
    const std::string& key = entry.first.Scalar();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    YAML::Node target = base[key];
    if (target.IsMap() && entry.second.IsMap()) {
      merge_into(target, entry.second, path, origins, overlay_origins);
    } else if (!(target.IsMap() && entry.second.IsNull())) {
      base[key] = entry.second;
      replace_origins(origins, overlay_origins, path);
    }
  }
}

void merge_into(Layer& base, const Layer& overlay) {
  merge_into(base.tree, overlay.tree, "", base.origins, overlay.origins);
}

// ---- Files, extends and overrides -----------------------------------------------------------

// The base file named by `extends` (relative to the file's own directory), checked for existence
// and cycles against `chain`, the files being loaded.
fs::path base_of(const fs::path& file, const yaml::Node& extends,
                 const std::vector<fs::path>& chain) {
  if (!extends.is_scalar() || extends.raw().Scalar().empty())
    extends.fail("extends must be the path of a base config, got " + extends.shown());
  const std::string& name = extends.raw().Scalar();
  fs::path base = (file.parent_path() / name).lexically_normal();
  if (!fs::exists(base))
    extends.fail("extends: cannot find '" + name + "' (looked for " + base.string() +
                 "); the path is relative to the folder of this file");
  for (const fs::path& loading : chain) {
    if (!fs::equivalent(loading, base)) continue;
    std::string cycle;
    for (const fs::path& step : chain) cycle += step.string() + " -> ";
    extends.fail("extends cycle: " + cycle + base.string() + "; remove one of the extends");
  }
  return base;
}

// `text`, the config `file`, validated on its own and merged over its chain of bases. Each file
// is validated before merging, because after a merge nobody knows which file a bad line came
// from. `chain` null: the text is not on disk (load_config_text), so `extends` has no folder.
Layer load_layer(const std::string& text, const fs::path& file, std::vector<fs::path>* chain) {
  const yaml::Node root = yaml::parse(text, file.string());
  // An empty file (or only comments) is an empty config. It must become a real map: yaml-cpp
  // gives an empty document as a node without storage, and keys merged into it would be lost.
  if (root.is_null()) return Layer{YAML::Node(YAML::NodeType::Map), {}};
  validate_tree(root, true);
  Layer layer{root.raw(), {}};
  record_origins(root, layer.origins);
  const std::optional<yaml::Node> extends = root.optional("extends");
  if (!extends) return layer;
  if (!chain)
    extends->fail("extends needs the folder of a config file to find its base; load the config "
                  "from its file");

  chain->push_back(file);
  const fs::path base = base_of(file, *extends, *chain);
  Layer merged = load_layer(read_file(base.string()), base, chain);
  chain->pop_back();
  layer.tree.remove("extends");
  layer.origins.erase("extends");
  merge_into(merged, layer);
  return merged;
}

// "trainer.epochs=5" as the tree {trainer: {epochs: 5}}, validated like a file; messages start
// with `origin`.
Layer override_layer(const std::string& text, const std::string& origin) {
  const std::size_t equals = text.find('=');
  const std::vector<std::string> keys = split_path(text.substr(0, equals));
  const bool empty_key = std::find(keys.begin(), keys.end(), "") != keys.end();
  if (equals == std::string::npos || empty_key)
    throw UserError(origin + ": expected KEY=VALUE such as trainer.epochs=5");

  const yaml::Node value = yaml::parse_value(text.substr(equals + 1), origin);
  const yaml::Node root(std::make_shared<const yaml::Source>(value.source()),
                        nested(keys, value.raw()));
  validate_tree(root, false);
  Layer layer{root.raw(), {}};
  record_origins(root, layer.origins);
  return layer;
}

std::string override_origin(const std::string& text) {
  return "command-line override '" + text + "'";
}

// ---- Typed config and resolved YAML ---------------------------------------------------------

std::optional<YAML::Node> lookup(const YAML::Node& root, const std::string& path) {
  YAML::Node node = root;
  for (const std::string& key : split_path(path)) {
    if (!node.IsMap()) return std::nullopt;
    const YAML::Node& view = node;  // const: operator[] must not insert a key
    YAML::Node child = view[key];
    if (!child.IsDefined()) return std::nullopt;
    node.reset(child);
  }
  return node;
}

Config typed_config(const YAML::Node& tree, const fs::path& file) {
  Config config;
  for (const FieldSpec& field : config_schema())
    if (std::optional<YAML::Node> value = lookup(tree, field.path)) field.read(config, *value);
  if (config.name.empty()) config.name = file.stem().string();
  return config;
}

// Where to look for a rule between keys: the first of `paths` the files or overrides set, else
// the config file (every key at its default).
std::string where_set(const Config& config, const std::vector<std::string>& paths) {
  for (const std::string& path : paths)
    if (config.origins.count(path)) return config.origins.at(path);
  return config.source_file;
}

// Rules between keys, checked on the merged result since the keys may come from different files.
void check_cross_fields(const Config& config) {
  const DataConfig& data = config.data;
  auto at = [&](std::vector<std::string> paths) { return where_set(config, paths); };
  if (data.val_fraction + data.test_fraction >= 1)
    GALIEN_USER_ERROR(at({"data.split.test", "data.split.val"})
                      << ": data.split.val (" << data.val_fraction << ") + data.split.test ("
                      << data.test_fraction << ") must be below 1 to leave a training split");
  if (data.cv_folds == 1)
    GALIEN_USER_ERROR(at({"cv.folds"})
                      << ": cv.folds is 1: use 0 (no cross-validation) or 2 or more folds");
  if (data.cv_folds == 0 && (data.cv_fold != 0 || data.cv_repeat != 0 || data.cv_repeats != 1))
    GALIEN_USER_ERROR(at({"cv.fold", "cv.repeat", "cv.repeats"})
                      << ": cv.fold, cv.repeat or cv.repeats is set but cv.folds is 0: set "
                      << "cv.folds to the number of folds, or remove the cv keys");
  if (data.cv_folds >= 2 && data.cv_fold >= data.cv_folds)
    GALIEN_USER_ERROR(at({"cv.fold", "cv.folds"})
                      << ": cv.fold is " << data.cv_fold << " but must be in [0, "
                      << data.cv_folds << ") for cv.folds " << data.cv_folds);
  if (data.cv_folds >= 2 && data.cv_repeat >= data.cv_repeats)
    GALIEN_USER_ERROR(at({"cv.repeat", "cv.repeats"})
                      << ": cv.repeat is " << data.cv_repeat << " but must be in [0, "
                      << data.cv_repeats << ") for cv.repeats " << data.cv_repeats);
  if (data.cv_folds >= 2 && !data.test_csv.empty())
    GALIEN_USER_ERROR(at({"data.test_csv", "cv.folds"})
                      << ": cv.folds and data.test_csv both define the test split: use one");
  if ((data.cv_folds >= 2 || !data.test_csv.empty()) && data.test_fraction != 0)
    GALIEN_USER_ERROR(at({"data.split.test", "cv.folds", "data.test_csv"})
                      << ": data.split.test is " << data.test_fraction << " but the test "
                      << "split comes from " << (data.cv_folds >= 2 ? "cv.fold" : "data.test_csv")
                      << ": set data.split.test: 0");
  // trainer.loss against data.task (core/config/tasks.cpp); the trainer checks it again against
  // the task the shards hold.
  if (config.trainer.loss != kAutoLoss)
    resolve_task_loss(data.task, config.trainer.loss, at({"trainer.loss"}));
  std::set<std::string> eval_splits;
  for (const std::string& split : config.trainer.eval_splits) {
    if (split != "train" && split != "val" && split != "test")
      GALIEN_USER_ERROR(at({"trainer.eval_splits"})
                        << ": trainer.eval_splits lists '" << split
                        << "': the splits are train, val and test");
    if (!eval_splits.insert(split).second)
      GALIEN_USER_ERROR(at({"trainer.eval_splits"})
                        << ": trainer.eval_splits lists '" << split << "' twice");
  }
  const OptimConfig& optim = config.optim;
  if (optim.nesterov && optim.name != "sgd")
    GALIEN_USER_ERROR(at({"optim.nesterov", "optim.name"})
                      << ": optim.nesterov: true needs optim.name: sgd, got '" << optim.name
                      << "'");
  if (optim.nesterov && optim.momentum <= 0)
    GALIEN_USER_ERROR(at({"optim.momentum", "optim.nesterov"})
                      << ": optim.nesterov: true needs optim.momentum > 0, got "
                      << optim.momentum);
}

// Every schema key with its effective value in schema order: the text, and so the hash, depends
// only on the effective configuration, not on how the files spelled it or split it up.
std::string resolved_yaml(const Config& config) {
  YAML::Node root(YAML::NodeType::Map);
  Origins none;
  for (const FieldSpec& field : config_schema())
    merge_into(root, nested(split_path(field.path), field.write(config)), "", none, none);
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  out << YAML::Comment("galien resolved config: every key with its effective value") << root;
  return std::string(out.c_str()) + "\n";
}

// The merged tree of a config and its overrides as a typed, checked Config.
Config finish(Layer layer, const std::string& file, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides)
    merge_into(layer, override_layer(text, override_origin(text)));
  Config config = typed_config(layer.tree, file);
  config.source_file = file;
  config.origins = std::move(layer.origins);
  check_cross_fields(config);
  config.resolved_yaml = resolved_yaml(config);
  config.sha256 = sha256_hex(config.resolved_yaml);
  return config;
}

}  // namespace

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<fs::path> chain;
  return finish(load_layer(read_file(path), path, &chain), path, overrides);
}

Config load_config_text(const std::string& text, const std::string& file_name,
                        const std::vector<std::string>& overrides) {
  return finish(load_layer(text, file_name, nullptr), file_name, overrides);
}

void check_override(const std::string& text, const std::string& origin) {
  override_layer(text, origin);
}

std::string Config::origin_of(const std::string& path) const {
  auto found = origins.find(path);
  return found == origins.end() ? source_file : found->second;
}

}  // namespace galien
