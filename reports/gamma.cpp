#include "reports/gamma.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace galien {
namespace {

constexpr double kEpsilon = 1e-15;
constexpr int kMaxIterations = 1000;
constexpr double kTiny = 1e-300;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// log(x^a e^-x / Gamma(a)), the factor both expansions share.
double log_prefactor(double a, double x) { return a * std::log(x) - x - std::lgamma(a); }

// P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)); converges fast for
// x < a + 1.
double p_series(double a, double x) {
  double term = 1.0 / a, sum = term;
  for (int n = 1; n < kMaxIterations; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * kEpsilon) break;
  }
  return sum * std::exp(log_prefactor(a, x));
}

// Q(a, x) = x^a e^-x / Gamma(a) * 1 / (x + 1 - a - 1(1 - a) / (x + 3 - a - 2(2 - a) / ...)),
// evaluated by the modified Lentz method; converges fast for x >= a + 1.
double q_continued_fraction(double a, double x) {
  double b = x + 1 - a;
  double c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return std::exp(log_prefactor(a, x)) * h;
}

}  // namespace

double regularized_gamma_p(double a, double x) {
  if (!(a > 0) || !(x >= 0) || std::isinf(a)) return kNaN;
  if (x == 0) return 0;
  if (std::isinf(x)) return 1;
  return x < a + 1 ? p_series(a, x) : 1 - q_continued_fraction(a, x);
}

double regularized_gamma_q(double a, double x) {
  if (!(a > 0) || !(x >= 0) || std::isinf(a)) return kNaN;
  if (x == 0) return 1;
  if (std::isinf(x)) return 0;
  return x < a + 1 ? 1 - p_series(a, x) : q_continued_fraction(a, x);
}

double chi_square_p_value(double x, int df) {
  if (df < 1 || std::isnan(x)) return kNaN;
  return regularized_gamma_q(df / 2.0, std::max(x, 0.0) / 2);
}

}  // namespace galien
