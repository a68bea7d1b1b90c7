#include "core/yaml/scalars.h"

#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/text.h"

namespace galien::yaml {

Range closed(double min, double max) { return {Bound{min, true}, Bound{max, true}}; }
Range right_open(double min, double max) { return {Bound{min, true}, Bound{max, false}}; }
Range left_open(double min, double max) { return {Bound{min, false}, Bound{max, true}}; }
Range at_least(double min) { return {Bound{min, true}, std::nullopt}; }

bool in_range(double value, const Range& range) {
  if (range.min && (range.min->closed ? value < range.min->value : value <= range.min->value))
    return false;
  if (range.max && (range.max->closed ? value > range.max->value : value >= range.max->value))
    return false;
  return true;
}

namespace {

std::string bound_text(double value) {
  if (value == std::trunc(value) && std::abs(value) < 1e15)
    return std::to_string(static_cast<long long>(value));
  return number_text(value);
}

}  // namespace

std::string range_text(const Range& range) {
  const auto& [min, max] = range;
  if (min && max) {
    return " in " + std::string(min->closed ? "[" : "(") + bound_text(min->value) + ", " +
           bound_text(max->value) + (max->closed ? "]" : ")");
  }
  if (min) return (min->closed ? " >= " : " > ") + bound_text(min->value);
  if (max) return (max->closed ? " <= " : " < ") + bound_text(max->value);
  return "";
}

std::optional<double> integer_value(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  const std::string& text = node.Scalar();
  if (!text.empty() && text.front() == '-') {
    if (auto value = parse_integer<std::int64_t>(text)) return static_cast<double>(*value);
  } else if (auto value = parse_integer<std::uint64_t>(text)) {
    return static_cast<double>(*value);
  }
  return std::nullopt;
}

std::optional<double> number_value(const YAML::Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  std::string_view text = node.Scalar();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> bool_value(const YAML::Node& node) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) return std::nullopt;
  return value;
}

std::string number_text(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  GALIEN_CHECK(ec == std::errc(), "cannot format " << value);
  return std::string(buffer, end);
}

std::string shown_value(const YAML::Node& value) {
  switch (value.Type()) {
    case YAML::NodeType::Scalar: return "'" + value.Scalar() + "'";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

std::string expected_integer(const Range& range) { return "an integer" + range_text(range); }
std::string expected_number(const Range& range) { return "a number" + range_text(range); }
std::string expected_one_of(const std::vector<std::string>& choices) {
  return "one of " + joined(choices);
}

}  // namespace galien::yaml
