// Parsing YAML into a checked yaml::Node (core/yaml/node.h). Beyond yaml-cpp's own syntax checks
// (reported as FILE:LINE:COLUMN with what to look for), the whole document is checked once here,
// so that no reader can forget to:
//  - a repeated key is refused: yaml-cpp keeps both entries and lookups see only the first, so
//    the line the user edited last would be silently ignored;
//  - keys are plain names (not lists, maps or null);
//  - one document per text: yaml-cpp's Load drops whatever follows a second '---';
//  - nesting and size are bounded, so an alias that contains itself (`&a [*a]`) or aliases that
//    double at each level fail in microseconds instead of looping or exhausting memory.
// parse() takes text and a name, not a path, so tests and fuzz targets need no filesystem.
#pragma once

#include <string>

#include "core/yaml/node.h"

namespace galien::yaml {

inline constexpr int kMaxDepth = 64;            // galien's files nest three or four levels
inline constexpr long kMaxValues = 100000;      // configs and profiles hold a few hundred

// `text` as one YAML document, `name` (a file name) starting every message. An empty document
// (or one of comments only) is a null root.
Node parse(const std::string& text, const std::string& name);

// Text that is not in a file, such as the value of a command-line override: messages start
// with `description` ("command-line override 'trainer.epochs=ten'") and carry no LINE:COLUMN.
Node parse_value(const std::string& text, const std::string& description);

// read_file(path) (UserError naming the path when unreadable), then parse(text, path).
Node parse_file(const std::string& path);

}  // namespace galien::yaml
