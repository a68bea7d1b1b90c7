// What a YAML scalar means to galien, and how messages describe values: decimal integers only,
// finite numbers only, YAML's true/false words, numeric ranges with open or closed ends. Shared
// by the reader (core/yaml/node.h) and the config schema (core/config/schema.h), so a config key
// and a cluster-profile key with the same range say it the same way.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace galien::yaml {

// One end of a numeric range; `closed` means the end value itself is allowed.
struct Bound {
  double value;
  bool closed;
};

// Allowed values of a number. An absent end is unbounded.
struct Range {
  std::optional<Bound> min;
  std::optional<Bound> max;
};

Range closed(double min, double max);      // [min, max]
Range right_open(double min, double max);  // [min, max)
Range left_open(double min, double max);   // (min, max]
Range at_least(double min);                // >= min

bool in_range(double value, const Range& range);
// " in [1, 100000]", " >= 0", " in (0, 1]"; "" for an unbounded range. Ends as a person writes
// them: "100000", not "1e+05".
std::string range_text(const Range& range);

// Decimal integers only ("10", "-3", "+4"): "2.5", "1e3", "0x10" or "ten" for an integer key is a
// mistake to report, not something to truncate or guess. nullopt also when it does not fit T.
template <class T>
std::optional<T> parse_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The value of an integer scalar as a double, for range checks (exact for every bound galien
// uses). Non-negative values parse as uint64 so that any 64-bit seed is accepted.
std::optional<double> integer_value(const YAML::Node& node);
// A finite decimal number ("0.15", "3e-4", "+2"); inf and nan never make sense in galien's files.
std::optional<double> number_value(const YAML::Node& node);
// YAML 1.1's words: true/false, yes/no, on/off, y/n in their usual capitalisations.
std::optional<bool> bool_value(const YAML::Node& node);

// Shortest text that reads back as the same double: "0.15", not "0.14999999999999999".
std::string number_text(double value);
// How a value is quoted in messages: 'ten', null, a map, a list.
std::string shown_value(const YAML::Node& value);

// What a valid value looks like, as errors and `galien config keys` say it.
std::string expected_integer(const Range& range);             // "an integer in [1, 100000]"
std::string expected_number(const Range& range);              // "a number in (0, 10]"
std::string expected_one_of(const std::vector<std::string>& choices);  // "one of adam, sgd"

}  // namespace galien::yaml
