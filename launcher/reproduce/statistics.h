// Summary of a figure over cross-validation folds and repeats: mean, sample standard deviation
// and the 95% confidence interval of the mean (Student's t), as papers report them.
#pragma once

#include <vector>

namespace galien {

struct FigureSummary {
  int n = 0;
  double mean = 0, sd = 0;          // sd: sample (n - 1); 0 when n == 1
  double ci_low = 0, ci_high = 0;   // mean -+ t(0.975, n-1) sd / sqrt(n); = mean when n == 1
};

FigureSummary summarise(const std::vector<double>& values);  // values must not be empty

// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom (df >= 1).
double t_quantile_975(int df);

}  // namespace galien
