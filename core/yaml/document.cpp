#include "core/yaml/document.h"

#include <map>
#include <vector>

#include "core/fs.h"
#include "core/yaml/flow_guard.h"

namespace galien::yaml {
namespace {

// How many values check_tree has seen so far.
struct Walk {
  long values = 0;
};

std::string line_of(const YAML::Mark& mark) { return std::to_string(mark.line + 1); }

void check_tree(const Node& node, int depth, Walk& walk) {
  if (depth > kMaxDepth)
    node.fail("nested more than " + std::to_string(kMaxDepth) + " levels deep (an alias that "
              "contains itself?); galien's files nest a few levels of keys: flatten it");
  if (++walk.values > kMaxValues)
    node.fail("more than " + std::to_string(kMaxValues) + " values (aliases that repeat each "
              "other?); galien's files hold a few hundred: write the values out");
  if (node.is_list()) {
    for (const Node& item : node.items()) check_tree(item, depth + 1, walk);
    return;
  }
  if (!node.is_map()) return;
  std::map<std::string, YAML::Mark> seen;
  for (const Node::Entry& entry : node.entries()) {
    const Node& key = entry.key_node;
    if (!key.is_scalar())
      key.fail("keys must be plain names, got " + key.shown() + "; write NAME: value");
    const auto [first, inserted] = seen.emplace(entry.key, key.raw().Mark());
    if (!inserted) {
      std::string message = "duplicate key '" + entry.key + "'";
      if (!node.path().empty()) message += " in section '" + node.path() + "'";
      if (key.source().positions) message += " (first at line " + line_of(first->second) + ")";
      key.fail(message + "; keep one of them");
    }
    check_tree(entry.value, depth + 1, walk);
  }
}

// What is wrong at a LoopHazard, and what to write instead.
std::string hazard_message(LoopHazard::Kind kind) {
  switch (kind) {
    case LoopHazard::Kind::kStrayComma:
      return "YAML syntax error: ',' outside [...] or {...}; a list is written [a, b] or one "
             "'- item' per line, and text with commas is quoted: 'a, b'";
    case LoopHazard::Kind::kTextAfterClosedValue:
      return "YAML syntax error: text after a quoted value or a closed [...] / {...} on its "
             "line; quote the whole value ('a b'), or start a new line";
    case LoopHazard::Kind::kTag:
      return "a YAML tag ('!...') where a value starts: galien's files do not use tags (the "
             "YAML reader mishandles what follows them); if the value is text starting with "
             "'!', quote it: '!text'";
    case LoopHazard::Kind::kExplicitKey:
      return "an explicit key ('? '): galien's keys are plain names, written NAME: value; if "
             "the value is text starting with '?', quote it: '? text'";
  }
  return "YAML text the reader cannot parse safely";
}

Node parse_source(const std::string& text, std::shared_ptr<const Source> source) {
  std::vector<YAML::Node> documents;
  if (std::optional<TextPosition> at = control_character(text)) {
    YAML::Mark mark;
    mark.line = at->line;
    mark.column = at->column;
    Node(source, YAML::Node(), "", mark)
        .fail("a control character (a byte below 0x20 other than tab and line end, or a "
              "carriage return not followed by a line feed); YAML text must be printable, with "
              "LF or CRLF line ends: is this a binary file, or was it damaged in a copy?");
  }
  if (std::optional<LoopHazard> hazard = yaml_cpp_loop_hazard(text)) {
    // yaml-cpp 0.7 would loop or allocate without end on this text (core/yaml/flow_guard.h).
    YAML::Mark mark;
    mark.line = hazard->at.line;
    mark.column = hazard->at.column;
    Node(source, YAML::Node(), "", mark).fail(hazard_message(hazard->kind));
  }
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    const std::string what_to_do =
        source->positions ? "check the indentation (spaces, no tabs), the ': ' after each key, "
                            "and that brackets and quotes are closed"
                          : "check that brackets and quotes are closed (values are YAML: 5, "
                            "[1, 2], {name: sgd}, 'text')";
    Node(source, YAML::Node(), "", e.mark).fail("YAML syntax error: " + e.msg + "; " + what_to_do);
  }
  const Node root(source, documents.empty() ? YAML::Node() : documents.front());
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsNull()) continue;  // a trailing '---' or '...' with nothing after it
    Node(source, documents[i])
        .fail("a second YAML document (after '---'); galien reads one document per file: remove "
              "the '---' line or what follows it");
  }
  Walk walk;
  check_tree(root, 0, walk);
  return root;
}

}  // namespace

Node parse(const std::string& text, const std::string& name) {
  return parse_source(text, std::make_shared<const Source>(Source{name, true}));
}

Node parse_value(const std::string& text, const std::string& description) {
  return parse_source(text, std::make_shared<const Source>(Source{description, false}));
}

Node parse_file(const std::string& path) { return parse(read_file(path), path); }

}  // namespace galien::yaml
