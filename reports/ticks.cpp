#include "reports/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace galien {

double nice_step(double span, int target, bool integer_steps) {
  GALIEN_CHECK(span > 0 && std::isfinite(span) && target >= 1,
               "nice_step(" << span << ", " << target << ")");
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalised = raw / magnitude;  // in [1, 10)
  // Boundaries at the geometric means of neighbouring steps: sqrt(1*2), sqrt(2*5), sqrt(5*10).
  double step = normalised < 1.4142 ? 1 : normalised < 3.1623 ? 2 : normalised < 7.0711 ? 5 : 10;
  step *= magnitude;
  return integer_steps ? std::max(step, 1.0) : step;
}

AxisTicks nice_ticks(double low, double high, int target, bool widen, bool integer_steps) {
  GALIEN_CHECK(std::isfinite(low) && std::isfinite(high) && low <= high,
               "axis range [" << low << ", " << high << "]");
  if (low == high) {
    const double pad = low == 0 ? 1.0 : std::abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  AxisTicks t;
  t.step = nice_step(high - low, target, integer_steps);
  // Tolerances of a millionth of a step: 0.3 / 0.1 is 2.9999999999999996, not 3 - 1 step.
  constexpr double kSlack = 1e-6;
  if (widen) {
    low = std::floor(low / t.step + kSlack) * t.step;
    high = std::ceil(high / t.step - kSlack) * t.step;
  }
  t.low = low;
  t.high = high;
  const double k0 = std::ceil(low / t.step - kSlack), k1 = std::floor(high / t.step + kSlack);
  for (double k = k0; k <= k1; ++k) {
    const double v = k * t.step;  // a multiple, not a running sum: no drift
    t.values.push_back(v);
    t.labels.push_back(format_tick(v, t.step));
  }
  return t;
}

std::string format_tick(double value, double step) {
  if (std::abs(value) < step * 1e-6) value = 0;  // never "-0.0" or "5.55e-17"
  char text[64];
  const double magnitude = std::max(std::abs(value), step);
  if (magnitude >= 1e6 || step < 1e-4) {
    // Significant digits: from the value's leading digit down to the step's.
    const int digits = std::max(1, static_cast<int>(std::floor(std::log10(magnitude) + 1e-9) -
                                                    std::floor(std::log10(step) + 1e-9)) +
                                       1);
    std::snprintf(text, sizeof text, "%.*g", digits, value);
  } else {
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text;
}

}  // namespace galien
