// The curves the reports draw, computed without drawing: ROC with its AUC, Kaplan-Meier
// survival, patients split into predicted-risk groups with a log-rank test across them.
// Tested against hand-computed and textbook values (tests/unit/test_reports.cpp).
#pragma once

#include <cstdint>
#include <vector>

namespace galien {

struct RocCurve {
  // From (0, 0) to (1, 1): one point per distinct score, highest first, so tied scores are one
  // diagonal step, never an arbitrary staircase.
  std::vector<double> fpr, tpr;
  std::vector<double> threshold;  // the score a point is reached at (+inf for (0, 0))
  double auc = 0;  // trapezoids under the points = Mann-Whitney with ties 1/2; NaN: one class
  std::int64_t positives = 0, negatives = 0;
};

// labels in {0, 1} (1 positive), scores finite: UserError otherwise. With one class absent the
// curve is empty and the AUC NaN (as trainers/observability/metrics.h's auc_roc).
RocCurve roc_curve(const std::vector<double>& scores, const std::vector<int>& labels);

struct KaplanMeier {
  // Steps: S(t) = survival[i] for time[i] <= t < time[i + 1]. Starts at (0, 1); then one point
  // per distinct event time.
  std::vector<double> time, survival;
  std::vector<std::int64_t> at_risk;  // subjects with time >= time[i] (censored at t included)
  std::vector<std::int64_t> events;   // events at time[i]
  std::vector<double> censor_time, censor_survival;  // each distinct censoring time, S there
  std::vector<double> observed;  // every subject's time, ascending (for at_risk_at)
  std::int64_t subjects = 0, total_events = 0;
  double last_time = 0;  // the largest observed time: the curve is known up to there

  std::int64_t at_risk_at(double t) const;  // subjects with time >= t
  double survival_at(double t) const;       // 1 before the first event
};

// time >= 0 and finite, event in {0, 1} (1 = event, 0 = censored): UserError otherwise. At a
// time with both, the events come first: those censored then are still at risk (the usual
// convention, as R's survfit).
KaplanMeier kaplan_meier(const std::vector<double>& time, const std::vector<int>& event);

struct LogRank {
  double chi_square = 0;       // NaN when undefined (one non-empty group, no events)
  int degrees_of_freedom = 0;  // non-empty groups - 1
  double p_value = 0;
  std::vector<double> observed, expected;  // events per group; expected if all groups were alike
};

// The log-rank test of equal survival across groups 0..groups-1 (group[i] in that range):
// chi-square = (O - E)' V^-1 (O - E) over all non-empty groups but the last, V the
// hypergeometric covariance summed over event times (Mantel 1966; R's survdiff).
LogRank log_rank_test(const std::vector<double>& time, const std::vector<int>& event,
                      const std::vector<int>& group, int groups);

struct RiskGroups {
  std::vector<int> group;                   // per patient: 0 = lowest predicted risk
  std::vector<KaplanMeier> curves;          // one per group, low to high risk (subjects 0: empty)
  std::vector<double> risk_low, risk_high;  // the range of predicted risk in each group
  LogRank log_rank;
};

// Patients split into `groups` (2 to 10) equal-size groups by predicted risk. Sorted by risk, a
// patient of rank r goes to group floor((r + 1/2) groups / n); patients with tied risks all take
// the group of their block's middle rank, so ties never straddle groups and the split does not
// depend on input order. risk finite: UserError otherwise.
RiskGroups risk_group_curves(const std::vector<double>& risk, const std::vector<double>& time,
                             const std::vector<int>& event, int groups);

}  // namespace galien
