// load_config: parse, validate each file on its own, follow `extends:`, apply overrides, fill
// Config from the schema table and write the resolved config. Validation happens per file, before
// merging, because after a merge nobody knows which file a bad line came from.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/config/suggest.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// Where a YAML tree came from, so that every message starts with what the user must edit.
struct Origin {
  std::string file;           // a config file, or
  std::string override_text;  // a command-line override, "trainer.epochs=5"

  bool is_file() const { return override_text.empty(); }
};

std::string location(const Origin& origin, const YAML::Mark& mark) {
  if (!origin.is_file()) return "command-line override '" + origin.override_text + "'";
  if (mark.is_null()) return origin.file;
  return origin.file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

[[noreturn]] void fail(const Origin& origin, const YAML::Mark& mark, const std::string& message) {
  throw UserError(location(origin, mark) + ": " + message);
}

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

std::string unknown_key_message(const std::string& key, const std::string& section,
                                const std::vector<std::string>& valid) {
  std::string message = section.empty() ? "unknown top-level key '" + key + "'"
                                        : "unknown key '" + key + "' in section '" + section + "'";
  if (std::optional<std::string> near = closest_match(key, valid))
    return message + "; did you mean '" + *near + "'?";
  std::string list;
  for (const std::string& name : valid) list += (list.empty() ? "" : ", ") + name;
  return message + "; valid keys: " + list;
}

void validate_section(const YAML::Node& map, const std::string& section, const Origin& origin);

void validate_entry(const YAML::Node& key, const YAML::Node& value, const std::string& section,
                    const Origin& origin) {
  const std::string& name = key.Scalar();
  const std::string path = section.empty() ? name : section + "." + name;
  if (is_section(path)) {
    if (value.IsNull()) return;  // a section whose keys are all commented out
    if (!value.IsMap())
      fail(origin, value.Mark(), path + " must be a section (a map of keys), got " +
                                     shown_value(value));
    validate_section(value, path, origin);
  } else if (const FieldSpec* field = find_field(path)) {
    // yaml-cpp marks a null value (`csv:` with nothing after it) at the next token; the key's
    // position is where the user looks.
    if (std::optional<ValueProblem> problem = check_value(*field, value))
      fail(origin, value.IsNull() ? key.Mark() : problem->mark, problem->message);
  } else {
    std::vector<std::string> valid = section_keys(section);
    if (section.empty() && origin.is_file()) valid.push_back("extends");
    fail(origin, key.Mark(), unknown_key_message(name, section, valid));
  }
}

void validate_section(const YAML::Node& map, const std::string& section, const Origin& origin) {
  // yaml-cpp keeps both entries of a repeated key and lookups see only the first: refuse it
  // rather than silently ignore the line the user edited last.
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) fail(origin, key.Mark(), "keys must be plain names, got " +
                                                       shown_value(key));
    if (!seen.insert(key.Scalar()).second)
      fail(origin, key.Mark(), "duplicate key '" + key.Scalar() + "'");
    if (section.empty() && key.Scalar() == "extends" && origin.is_file()) continue;
    validate_entry(key, entry.second, section, origin);
  }
}

void validate_tree(const YAML::Node& root, const Origin& origin) {
  if (!root.IsMap())
    fail(origin, root.Mark(), "the top level must be a map of sections such as 'trainer:', got " +
                                  shown_value(root));
  validate_section(root, "", origin);
}

// ---- Files, extends and overrides -----------------------------------------------------------

YAML::Node parse_file(const fs::path& file) {
  std::string text = read_file(file.string());
  YAML::Node tree;
  try {
    tree = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    fail(Origin{file.string(), ""}, e.mark, "YAML syntax error: " + e.msg);
  }
  // An empty file (or only comments) is an empty config. It must become a real map: yaml-cpp
  // gives an empty document as a node without storage, and keys merged into it would be lost.
  if (tree.IsNull()) tree.reset(YAML::Node(YAML::NodeType::Map));
  return tree;
}

// Child wins: maps merge key by key, scalars and lists replace. A null where the base has a map
// is a section with every key commented out and leaves the base's section alone.
void merge_into(YAML::Node base, const YAML::Node& overlay) {
  for (const auto& entry : overlay) {
    const std::string& key = entry.first.Scalar();
    YAML::Node target = base[key];
    if (target.IsMap() && entry.second.IsMap()) {
      merge_into(target, entry.second);
    } else if (!(target.IsMap() && entry.second.IsNull())) {
      base[key] = entry.second;
    }
  }
}

// The base file named by `extends` (relative to the file's own directory), checked for existence
// and cycles against `chain`, the files being loaded.
fs::path base_of(const fs::path& file, const YAML::Node& extends,
                 const std::vector<fs::path>& chain) {
  const Origin origin{file.string(), ""};
  if (!extends.IsScalar() || extends.Scalar().empty())
    fail(origin, extends.Mark(), "extends must be the path of a base config, got " +
                                     shown_value(extends));
  fs::path base = (file.parent_path() / extends.Scalar()).lexically_normal();
  if (!fs::exists(base))
    fail(origin, extends.Mark(), "extends: cannot find '" + extends.Scalar() + "' (looked for " +
                                     base.string() + ")");
  for (const fs::path& loading : chain) {
    if (!fs::equivalent(loading, base)) continue;
    std::string cycle;
    for (const fs::path& step : chain) cycle += step.string() + " -> ";
    fail(origin, extends.Mark(), "extends cycle: " + cycle + base.string());
  }
  return base;
}

// `file` validated on its own, merged over its chain of bases.
YAML::Node load_file_tree(const fs::path& file, std::vector<fs::path>& chain) {
  YAML::Node tree = parse_file(file);
  validate_tree(tree, Origin{file.string(), ""});
  const YAML::Node& view = tree;  // const: operator[] must not insert a key
  if (!view.IsMap() || !view["extends"]) return tree;

  chain.push_back(file);
  YAML::Node merged = load_file_tree(base_of(file, view["extends"], chain), chain);
  chain.pop_back();
  tree.remove("extends");
  merge_into(merged, tree);
  return merged;
}

YAML::Node parse_override_value(const std::string& value, const Origin& origin) {
  try {
    return YAML::Load(value);
  } catch (const YAML::ParserException& e) {
    fail(origin, e.mark, "cannot parse the value as YAML: " + e.msg);
  }
}

// "trainer.epochs=5" as the tree {trainer: {epochs: 5}}, validated like a file.
YAML::Node override_tree(const std::string& text) {
  const Origin origin{"", text};
  const std::size_t equals = text.find('=');
  const std::vector<std::string> keys = split_path(text.substr(0, equals));
  const bool empty_key = std::find(keys.begin(), keys.end(), "") != keys.end();
  if (equals == std::string::npos || empty_key)
    fail(origin, YAML::Mark::null_mark(), "expected KEY=VALUE such as trainer.epochs=5");

  YAML::Node tree = nested(keys, parse_override_value(text.substr(equals + 1), origin));
  validate_tree(tree, origin);
  return tree;
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

// Rules between keys, checked on the merged result since the keys may come from different files.
void check_cross_fields(const Config& config, const std::string& file) {
  const DataConfig& data = config.data;
  if (data.val_fraction + data.test_fraction >= 1)
    GALIEN_USER_ERROR(file << ": data.split.val (" << data.val_fraction << ") + data.split.test ("
                           << data.test_fraction << ") must be below 1 to leave a training split");
  if (data.cv_folds == 1)
    GALIEN_USER_ERROR(file << ": cv.folds is 1: use 0 (no cross-validation) or 2 or more folds");
  if (data.cv_folds == 0 && (data.cv_fold != 0 || data.cv_repeat != 0 || data.cv_repeats != 1))
    GALIEN_USER_ERROR(file << ": cv.fold, cv.repeat or cv.repeats is set but cv.folds is 0: set "
                           << "cv.folds to the number of folds, or remove the cv keys");
  if (data.cv_folds >= 2 && data.cv_fold >= data.cv_folds)
    GALIEN_USER_ERROR(file << ": cv.fold is " << data.cv_fold << " but must be in [0, "
                           << data.cv_folds << ") for cv.folds " << data.cv_folds);
  if (data.cv_folds >= 2 && data.cv_repeat >= data.cv_repeats)
    GALIEN_USER_ERROR(file << ": cv.repeat is " << data.cv_repeat << " but must be in [0, "
                           << data.cv_repeats << ") for cv.repeats " << data.cv_repeats);
  if (data.cv_folds >= 2 && !data.test_csv.empty())
    GALIEN_USER_ERROR(file << ": cv.folds and data.test_csv both define the test split: use one");
  if ((data.cv_folds >= 2 || !data.test_csv.empty()) && data.test_fraction != 0)
    GALIEN_USER_ERROR(file << ": data.split.test is " << data.test_fraction << " but the test "
                           << "split comes from " << (data.cv_folds >= 2 ? "cv.fold" : "data.test_csv")
                           << ": set data.split.test: 0");
  const OptimConfig& optim = config.optim;
  if (optim.nesterov && optim.name != "sgd")
    GALIEN_USER_ERROR(file << ": optim.nesterov: true needs optim.name: sgd, got '" << optim.name
                           << "'");
  if (optim.nesterov && optim.momentum <= 0)
    GALIEN_USER_ERROR(file << ": optim.nesterov: true needs optim.momentum > 0, got "
                           << optim.momentum);
}

// Every schema key with its effective value in schema order: the text, and so the hash, depends
// only on the effective configuration, not on how the files spelled it or split it up.
std::string resolved_yaml(const Config& config) {
  YAML::Node root(YAML::NodeType::Map);
  for (const FieldSpec& field : config_schema()) {
    merge_into(root, nested(split_path(field.path), field.write(config)));
  }
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  out << YAML::Comment("galien resolved config: every key with its effective value") << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<fs::path> chain;
  YAML::Node tree = load_file_tree(path, chain);
  for (const std::string& text : overrides) merge_into(tree, override_tree(text));

  Config config = typed_config(tree, path);
  check_cross_fields(config, path);
  config.source_file = path;
  config.resolved_yaml = resolved_yaml(config);
  config.sha256 = sha256_hex(config.resolved_yaml);
  return config;
}

}  // namespace galien
