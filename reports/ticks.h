// Axis ticks for the report charts: steps of 1, 2 or 5 times a power of ten, with labels that
// show as many decimals as the step needs and no more ("0.2", "0.4", not "0.2000001").
#pragma once

#include <string>
#include <vector>

namespace galien {

struct AxisTicks {
  double low = 0;  // the axis range: the one asked for, or widened to whole steps
  double high = 1;
  double step = 1;
  std::vector<double> values;  // multiples of step within [low, high]
  std::vector<std::string> labels;
};

// The 1-2-5 step closest (on a log scale) to span / target; at least 1 when `integer_steps`
// (folds, epochs: no tick at 2.5). span > 0.
double nice_step(double span, int target, bool integer_steps = false);

// About `target` ticks over [low, high] (finite). `widen` (an axis from the data) extends the
// range outwards to whole steps; otherwise the range is kept (a fixed axis such as [0, 1]). An
// empty range (low == high) is opened around the value first.
AxisTicks nice_ticks(double low, double high, int target, bool widen, bool integer_steps = false);

// The label of a tick `value` on an axis of step `step`: fixed-point with the decimals of the
// step; %g-style with enough digits for very large or very small values (1e+06, 2.5e-05).
std::string format_tick(double value, double step);

}  // namespace galien
