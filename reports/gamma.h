// The regularised incomplete gamma functions and the chi-square tail they give: the p-value of
// a log-rank test without a statistics library.
#pragma once

namespace galien {

// P(a, x) = gamma(a, x) / Gamma(a) and Q(a, x) = 1 - P(a, x), for a > 0 and x >= 0 (NaN
// otherwise). Series for x < a + 1, Lentz's continued fraction above, so a small Q keeps its
// relative precision instead of being 1 - (a number close to 1).
double regularized_gamma_p(double a, double x);
double regularized_gamma_q(double a, double x);

// P(X >= x) for X chi-square with `df` degrees of freedom: Q(df / 2, x / 2). NaN for a NaN x or
// df < 1.
double chi_square_p_value(double x, int df);

}  // namespace galien
