// The one way galien reads YAML it did not write itself (configs, cluster profiles, interconnect
// figures, sweep values, run directories): a yaml::Node is a yaml-cpp node plus the file it came
// from and its dotted key path, so that every problem is reported as
//
//   FILE:LINE:COLUMN: what is wrong; what to do
//
// e.g. "slurm/mine.yaml:3:3: unknown key 'gpu' in section 'node'; did you mean 'gpus'?" or
// "runs/x/config.yaml:40:15: trainer.batch_size must be an integer >= 1, got 'eight'".
// Typed getters check the value and name the key's full path ("qos[1].max_time"); map getters
// distinguish required and optional keys and refuse unknown ones with the closest valid key
// (core/config/suggest.h). Parsing (core/yaml/document.h) has already refused syntax errors,
// duplicate keys and keys that are not plain names, everywhere in the document.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/yaml/scalars.h"

namespace galien::yaml {

// Where a document came from, as messages start.
struct Source {
  std::string name;       // a file name, or "command-line override 'trainer.epochs=5'"
  bool positions = true;  // false: the text is not in a file, LINE:COLUMN would mean nothing
};

class Node {
 public:
  // `path` is the dotted key path of `node` ("" for the document root); `key_mark` the position
  // of the key that names it, where a null value (`key:` with nothing after it) is reported.
  Node(std::shared_ptr<const Source> source, YAML::Node node, std::string path = "",
       YAML::Mark key_mark = YAML::Mark::null_mark());

  const std::string& path() const { return path_; }
  const YAML::Node& raw() const { return node_; }  // for emitting and merging; no checks
  const Source& source() const { return *source_; }

  bool is_null() const { return node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  std::string shown() const { return shown_value(node_); }  // 'ten', null, a list, a map

  // "FILE:LINE:COLUMN" of this value (of its key when the value is null); FILE alone for a
  // source without positions.
  std::string where() const;
  // Throws UserError "where(): message". Messages say what is wrong, then what to do.
  [[noreturn]] void fail(const std::string& message) const;
  // The same at the key that names this value ("interconnect:" rather than its first line), for
  // problems with a section as a whole.
  [[noreturn]] void fail_at_key(const std::string& message) const;

  // ---- Maps -----------------------------------------------------------------------------------
  // Fails unless this is a map: "PATH must be a section (a map of keys), got ...".
  void expect_map() const;
  // expect_map(), and every key is one of `allowed`: an unknown key fails at its own position
  // with the closest allowed key ("did you mean 'gpus'?"), or the list when none is close.
  void allow_keys(const std::vector<std::string>& allowed) const;
  bool has(const std::string& key) const;  // false for a null value (an empty section)
  // The value of `key`; nullopt when absent. This must be a map (or null, an empty section).
  std::optional<Node> optional(const std::string& key) const;
  // The value of `key`; when absent fails with "missing key 'KEY' in section 'PATH'" at this
  // map, or at a present key that looks like a typo of it ("did you mean 'KEY'?"). `what_to_do`
  // replaces the default "; add it" (e.g. "; add it: the run's global batch size").
  Node required(const std::string& key, const std::string& what_to_do = "") const;
  // Every entry in file order, with the key's own node for messages about the key itself.
  struct Entry;
  std::vector<Entry> entries() const;  // expect_map(); null = no entries

  // ---- Lists ----------------------------------------------------------------------------------
  // Fails unless this is a list: "PATH must be a list, got ...". Item i has the path "PATH[i]".
  std::vector<Node> items() const;

  // ---- Scalars: each fails with "PATH must be EXPECTED, got VALUE" ---------------------------
  std::string as_string() const;            // any scalar, not null, not a list or map
  std::string as_nonempty_string() const;
  std::optional<std::string> as_optional_string() const;  // null = nullopt
  bool as_bool() const;
  double as_double(const Range& range = {}) const;
  // A decimal integer in `range` that fits T.
  template <class T = std::int64_t>
  T as_int(const Range& range = {}) const;
  // One of `choices`; a near miss gets "did you mean ...?".
  std::string as_enum(const std::vector<std::string>& choices) const;
  // The value paired with the name written: as_choice<Scheduler>({{"slurm", kSlurm}, ...}).
  template <class T>
  T as_choice(const std::vector<std::pair<std::string, T>>& choices) const;

  std::vector<std::string> as_strings() const;
  std::vector<std::int64_t> as_ints(const Range& range = {}) const;
  std::vector<double> as_doubles(const Range& range = {}) const;

 private:
  Node child(const YAML::Node& key, const YAML::Node& value) const;
  [[noreturn]] void fail_expected(const std::string& expected) const;
  std::string child_path(const std::string& key) const;
  std::string section_name() const;  // "section 'node'", "the top level"

  std::shared_ptr<const Source> source_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark key_mark_;
};

struct Node::Entry {
  std::string key;
  Node key_node;  // where the key is written
  Node value;
};

template <class T>
T Node::as_int(const Range& range) const {
  std::optional<double> value = integer_value(node_);
  std::optional<T> parsed = value && in_range(*value, range) ? parse_integer<T>(node_.Scalar())
                                                             : std::nullopt;
  if (!parsed) fail_expected(expected_integer(range));
  return *parsed;
}

template <class T>
T Node::as_choice(const std::vector<std::pair<std::string, T>>& choices) const {
  std::vector<std::string> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  const std::string name = as_enum(names);
  for (const auto& [choice, result] : choices)
    if (choice == name) return result;
  return choices.front().second;  // unreachable: as_enum returned one of the names
}

}  // namespace galien::yaml
