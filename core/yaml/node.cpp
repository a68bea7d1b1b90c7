#include "core/yaml/node.h"

#include <algorithm>

#include "core/config/suggest.h"
#include "core/error.h"
#include "core/text.h"

namespace galien::yaml {

Node::Node(std::shared_ptr<const Source> source, YAML::Node node, std::string path,
           YAML::Mark key_mark)
    : source_(std::move(source)), node_(std::move(node)), path_(std::move(path)),
      key_mark_(key_mark) {}

std::string Node::where() const {
  if (!source_->positions) return source_->name;
  // yaml-cpp marks a null value (`csv:` with nothing after it) at the next token, often on
  // another line: the key's position is where the user looks.
  const YAML::Mark mark = node_.IsNull() && !key_mark_.is_null() ? key_mark_ : node_.Mark();
  // Only an empty document has no position; its first line is where to write.
  if (mark.is_null()) return source_->name + ":1:1";
  return source_->name + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

void Node::fail(const std::string& message) const { throw UserError(where() + ": " + message); }

void Node::fail_at_key(const std::string& message) const {
  Node(source_, YAML::Node(), path_, key_mark_.is_null() ? node_.Mark() : key_mark_).fail(message);
}

void Node::fail_expected(const std::string& expected) const {
  fail((path_.empty() ? std::string("the document") : path_) + " must be " + expected + ", got " +
       shown());
}

std::string Node::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string Node::section_name() const {
  return path_.empty() ? "the top level" : "section '" + path_ + "'";
}

Node Node::child(const YAML::Node& key, const YAML::Node& value) const {
  return Node(source_, value, child_path(key.IsScalar() ? key.Scalar() : ""), key.Mark());
}

// ---- Maps -------------------------------------------------------------------------------------

void Node::expect_map() const {
  if (node_.IsMap()) return;
  if (path_.empty()) fail("the top level must be a map of keys (NAME: value), got " + shown());
  fail(path_ + " must be a section (a map of keys), got " + shown());
}

std::vector<Node::Entry> Node::entries() const {
  if (node_.IsNull()) return {};
  expect_map();
  std::vector<Entry> result;
  for (const auto& entry : node_) {
    Node value = child(entry.first, entry.second);
    result.push_back({entry.first.IsScalar() ? entry.first.Scalar() : "",
                      Node(source_, entry.first, value.path()), std::move(value)});
  }
  return result;
}

void Node::allow_keys(const std::vector<std::string>& allowed) const {
  expect_map();
  for (const Entry& entry : entries()) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) != allowed.end()) continue;
    std::string message = path_.empty() ? "unknown top-level key '" + entry.key + "'"
                                        : "unknown key '" + entry.key + "' in " + section_name();
    if (std::optional<std::string> near = closest_match(entry.key, allowed))
      message += "; did you mean '" + *near + "'?";
    else
      message += "; valid keys: " + joined(allowed);
    entry.key_node.fail(message);
  }
}

std::optional<Node> Node::optional(const std::string& key) const {
  for (Entry& entry : entries())
    if (entry.key == key) return std::move(entry.value);
  return std::nullopt;
}

bool Node::has(const std::string& key) const {
  return node_.IsMap() && optional(key).has_value();
}

Node Node::required(const std::string& key, const std::string& what_to_do) const {
  if (std::optional<Node> value = optional(key)) return *value;
  std::vector<std::string> present;
  const std::vector<Entry> all = entries();
  for (const Entry& entry : all) present.push_back(entry.key);
  const std::string missing = "missing key '" + key + "' in " + section_name();
  if (std::optional<std::string> near = closest_match(key, present)) {
    for (const Entry& entry : all)
      if (entry.key == *near)
        entry.key_node.fail(missing + "; did you mean '" + key + "' instead of '" + *near + "'?");
  }
  fail_at_key(missing + (what_to_do.empty() ? "; add it" : what_to_do));
}

// ---- Lists ------------------------------------------------------------------------------------

std::vector<Node> Node::items() const {
  if (!node_.IsSequence()) fail_expected("a list");
  std::vector<Node> result;
  for (std::size_t i = 0; i < node_.size(); ++i)
    result.emplace_back(source_, node_[i], path_ + "[" + std::to_string(i) + "]");
  return result;
}

// ---- Scalars ----------------------------------------------------------------------------------

std::string Node::as_string() const {
  if (!node_.IsScalar()) fail_expected("a string");
  return node_.Scalar();
}

std::string Node::as_nonempty_string() const {
  if (!node_.IsScalar() || node_.Scalar().empty()) fail_expected("a non-empty string");
  return node_.Scalar();
}

std::optional<std::string> Node::as_optional_string() const {
  if (node_.IsNull()) return std::nullopt;
  if (!node_.IsScalar()) fail_expected("a string or null");
  return node_.Scalar();
}

bool Node::as_bool() const {
  std::optional<bool> value = bool_value(node_);
  if (!value) fail_expected("true or false");
  return *value;
}

double Node::as_double(const Range& range) const {
  std::optional<double> value = number_value(node_);
  if (!value || !in_range(*value, range)) fail_expected(expected_number(range));
  return *value;
}

std::string Node::as_enum(const std::vector<std::string>& choices) const {
  if (node_.IsScalar() &&
      std::find(choices.begin(), choices.end(), node_.Scalar()) != choices.end())
    return node_.Scalar();
  std::optional<std::string> near;
  if (node_.IsScalar()) near = closest_match(node_.Scalar(), choices);
  fail((path_.empty() ? std::string("the document") : path_) + " must be " +
       expected_one_of(choices) + ", got " + shown() +
       (near ? "; did you mean '" + *near + "'?" : ""));
}

std::vector<std::string> Node::as_strings() const {
  if (!node_.IsSequence()) fail_expected("a list of strings");
  std::vector<std::string> values;
  for (const Node& item : items()) values.push_back(item.as_string());
  return values;
}

std::vector<std::int64_t> Node::as_ints(const Range& range) const {
  if (!node_.IsSequence()) fail_expected("a list of integers" + range_text(range));
  std::vector<std::int64_t> values;
  for (const Node& item : items()) values.push_back(item.as_int<std::int64_t>(range));
  return values;
}

std::vector<double> Node::as_doubles(const Range& range) const {
  if (!node_.IsSequence()) fail_expected("a list of numbers" + range_text(range));
  std::vector<double> values;
  for (const Node& item : items()) values.push_back(item.as_double(range));
  return values;
}

}  // namespace galien::yaml
