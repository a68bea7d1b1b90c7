#include "datasets/feature_transforms.h"

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace galien {
namespace {

std::optional<double> number(const std::string& text) {
  double value = 0.0;
  const char* begin = text.data();
  if (!text.empty() && text.front() == '+') ++begin;
  auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> FeatureTransform::apply(double value) const {
  switch (kind) {
    case Kind::kLog:
      if (!(value > 0)) return std::nullopt;
      return std::log(value);
    case Kind::kLog1p:
      if (!(value > -1)) return std::nullopt;
      return std::log1p(value);
    case Kind::kSqrt:
      if (!(value >= 0)) return std::nullopt;
      return std::sqrt(value);
    case Kind::kClip:
      return value < low ? low : (value > high ? high : value);
  }
  return std::nullopt;
}

std::string FeatureTransform::domain() const {
  switch (kind) {
    case Kind::kLog: return "log needs values > 0";
    case Kind::kLog1p: return "log1p needs values > -1";
    case Kind::kSqrt: return "sqrt needs values >= 0";
    case Kind::kClip: return "clip takes any number";
  }
  return "";
}

std::map<std::string, FeatureTransform> parse_feature_transforms(
    const std::vector<std::string>& entries) {
  std::map<std::string, FeatureTransform> transforms;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string& entry = entries[i];
    const std::string where = "data.transforms[" + std::to_string(i) + "] '" + entry + "'";
    const auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
      GALIEN_USER_ERROR(where << ": write COLUMN=TRANSFORM, e.g. bili=log, age=log1p, x=sqrt, "
                              << "y=clip:0:100");
    }
    const std::string column = entry.substr(0, equals);
    FeatureTransform t;
    t.text = entry.substr(equals + 1);
    if (t.text == "log") {
      t.kind = FeatureTransform::Kind::kLog;
    } else if (t.text == "log1p") {
      t.kind = FeatureTransform::Kind::kLog1p;
    } else if (t.text == "sqrt") {
      t.kind = FeatureTransform::Kind::kSqrt;
    } else if (t.text.rfind("clip:", 0) == 0) {
      t.kind = FeatureTransform::Kind::kClip;
      const std::string bounds = t.text.substr(5);
      const auto colon = bounds.find(':');
      const auto low = colon == std::string::npos ? std::nullopt : number(bounds.substr(0, colon));
      const auto high = colon == std::string::npos ? std::nullopt : number(bounds.substr(colon + 1));
      if (!low || !high || !(*low < *high)) {
        GALIEN_USER_ERROR(where << ": clip takes two numbers LOW < HIGH, e.g. clip:0:100");
      }
      t.low = *low;
      t.high = *high;
    } else {
      GALIEN_USER_ERROR(where << ": unknown transform '" << t.text
                              << "'; use log, log1p, sqrt or clip:LOW:HIGH");
    }
    if (!transforms.emplace(column, t).second) {
      GALIEN_USER_ERROR(where << ": column '" << column << "' has a transform already; give "
                              << "one per column");
    }
  }
  return transforms;
}

}  // namespace galien
