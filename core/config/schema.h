// The config schema: one table (schema.cpp) listing every key a user may write, with its type,
// range or allowed values, help text and the Config field it fills. The loader validates YAML
// against it, fills Config from it and writes the resolved config from it; `galien config keys`
// prints it. Adding a key = adding the field to config.h and one entry to the table.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/yaml/node.h"

namespace galien {

enum class FieldType {
  kInt,
  kFloat,
  kBool,
  kString,
  kOptionalString,  // null allowed
  kStringList,
  kIntList,
  kFloatList,  // data.images.spacing
  kEnum,  // a string from FieldSpec::choices
};

// Allowed values of a number, or of each item of a numeric list (core/yaml/scalars.h).
using yaml::Bound;
using yaml::Range;

struct FieldSpec {
  std::string path;                  // dotted key, "trainer.epochs"; its prefixes are sections
  FieldType type;
  Range range;                       // kInt, kFloat, kIntList, kFloatList
  std::vector<std::string> choices;  // kEnum
  std::string help;                  // one line for `galien config keys`
  // Sets the Config field from a value that passed check_value().
  std::function<void(Config&, const YAML::Node&)> read;
  // The field's value as YAML, in the canonical form written to the resolved config.
  std::function<YAML::Node(const Config&)> write;
};

// Every key in the order the resolved config lists them.
const std::vector<FieldSpec>& config_schema();
const FieldSpec* find_field(const std::string& path);  // nullptr for sections and unknown keys
bool is_section(const std::string& path);                // "data", "data.split"; not ""
// Names directly under `section` ("" = top level): keys and subsections, in schema order.
std::vector<std::string> section_keys(const std::string& section);

// What a valid value looks like, e.g. "an integer in [1, 100000]", "one of adam, sgd".
std::string expected_value(const FieldSpec& field);

// Throws UserError at `value` (FILE:LINE:COLUMN, or the override) unless it is valid for `field`:
// "trainer.epochs must be an integer in [1, 100000], got 'ten'".
void check_value(const FieldSpec& field, const yaml::Node& value);

// Every key with its type, range, default and help text, for `galien config keys`.
std::string describe_schema();

}  // namespace galien
