// data.transforms: the standard transforms of clinical models, applied to a numeric feature's raw
// value before imputation and standardisation ("bili=log", "age=log1p", "x=sqrt",
// "y=clip:0:100"). A value outside a transform's domain (log of <= 0, log1p of <= -1, sqrt of
// < 0) stops `galien shard` at FILE:LINE and the column, without the value; a missing value stays
// missing. Each feature's transform is recorded in the manifest's feature list.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace galien {

struct FeatureTransform {
  enum class Kind { kLog, kLog1p, kSqrt, kClip };
  Kind kind = Kind::kLog;
  double low = 0.0, high = 0.0;  // clip bounds
  std::string text;              // as written after '=', e.g. "clip:0:100" (the manifest's)

  // The transformed value, or nullopt when `value` is outside the domain.
  std::optional<double> apply(double value) const;
  // What the domain is, for messages ("log needs values > 0").
  std::string domain() const;
};

// Column -> transform. UserError naming data.transforms[i] for a malformed entry, an unknown
// transform, clip bounds that are not numbers with low < high, or a column given twice.
std::map<std::string, FeatureTransform> parse_feature_transforms(
    const std::vector<std::string>& entries);

}  // namespace galien
