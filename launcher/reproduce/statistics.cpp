#include "launcher/reproduce/statistics.h"

#include <cmath>

#include "core/error.h"

namespace galien {

double t_quantile_975(int df) {
  // Tabulated (exact to 3 decimals) up to 30 degrees of freedom, then the normal approximation
  // with the first Cornish-Fisher correction (error < 0.002 beyond 30).
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                                 2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
                                 2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
                                 2.048,  2.045, 2.042};
  GALIEN_CHECK(df >= 1, "t quantile needs df >= 1, got " << df);
  if (df <= 30) return table[df - 1];
  const double z = 1.959964;
  return z + (z * z * z + z) / (4.0 * df);
}

FigureSummary summarise(const std::vector<double>& values) {
  GALIEN_CHECK(!values.empty(), "summarise() needs at least one value");
  FigureSummary s;
  s.n = static_cast<int>(values.size());
  for (double v : values) s.mean += v / s.n;
  if (s.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / (s.n - 1));
  }
  const double half = s.n > 1 ? t_quantile_975(s.n - 1) * s.sd / std::sqrt(s.n) : 0.0;
  s.ci_low = s.mean - half;
  s.ci_high = s.mean + half;
  return s;
}

}  // namespace galien
