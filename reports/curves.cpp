#include "reports/curves.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "reports/gamma.h"

namespace galien {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_survival_input(const std::vector<double>& time, const std::vector<int>& event,
                          const char* who) {
  GALIEN_CHECK(time.size() == event.size(),
               who << ": " << time.size() << " times, " << event.size() << " events");
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (!std::isfinite(time[i]) || time[i] < 0)
      GALIEN_USER_ERROR(who << ": survival time " << i << " is " << time[i]
                            << "; times must be finite and >= 0");
    if (event[i] != 0 && event[i] != 1)
      GALIEN_USER_ERROR(who << ": event indicator " << i << " is " << event[i]
                            << "; it must be 1 (event) or 0 (censored)");
  }
}

std::vector<std::size_t> order_by(const std::vector<double>& key) {
  std::vector<std::size_t> order(key.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
  return order;
}

// Solves A z = b in place (A n x n row-major, partial pivoting); false when A is singular.
bool solve(std::vector<double> a, std::vector<double>& b) {
  const std::size_t n = b.size();
  double scale = 0;
  for (double v : a) scale = std::max(scale, std::abs(v));
  if (scale == 0) return n == 0;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::abs(a[r * n + col]) > std::abs(a[pivot * n + col])) pivot = r;
    if (std::abs(a[pivot * n + col]) <= scale * 1e-12) return false;
    if (pivot != col) {
      for (std::size_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[pivot * n + k]);
      std::swap(b[col], b[pivot]);
    }
    for (std::size_t r = col + 1; r < n; ++r) {
      const double f = a[r * n + col] / a[col * n + col];
      for (std::size_t k = col; k < n; ++k) a[r * n + k] -= f * a[col * n + k];
      b[r] -= f * b[col];
    }
  }
  for (std::size_t col = n; col-- > 0;) {
    for (std::size_t k = col + 1; k < n; ++k) b[col] -= a[col * n + k] * b[k];
    b[col] /= a[col * n + col];
  }
  return true;
}

}  // namespace

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<int>& labels) {
  GALIEN_CHECK(scores.size() == labels.size(),
               "roc_curve: " << scores.size() << " scores, " << labels.size() << " labels");
  RocCurve roc;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]))
      GALIEN_USER_ERROR("roc_curve: score " << i << " is " << scores[i]
                                            << " (did the model diverge?)");
    if (labels[i] != 0 && labels[i] != 1)
      GALIEN_USER_ERROR("roc_curve: label " << i << " is " << labels[i] << "; it must be 0 or 1");
    (labels[i] ? roc.positives : roc.negatives) += 1;
  }
  if (roc.positives == 0 || roc.negatives == 0) {
    roc.auc = kNaN;
    return roc;
  }
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  roc.fpr.push_back(0);
  roc.tpr.push_back(0);
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  // Twice the area, in counts: sum over steps of dFP * (TP before + TP after). A tie block is
  // one trapezoid, which is exactly the 1/2 a tied pair gets in the Mann-Whitney count.
  std::int64_t tp = 0, fp = 0, twice_area = 0;
  for (std::size_t i = 0; i < order.size();) {
    const double s = scores[order[i]];
    const std::int64_t tp_before = tp, fp_before = fp;
    for (; i < order.size() && scores[order[i]] == s; ++i) (labels[order[i]] ? tp : fp) += 1;
    twice_area += (fp - fp_before) * (tp + tp_before);
    roc.fpr.push_back(static_cast<double>(fp) / static_cast<double>(roc.negatives));
    roc.tpr.push_back(static_cast<double>(tp) / static_cast<double>(roc.positives));
    roc.threshold.push_back(s);
  }
  roc.auc = static_cast<double>(twice_area) /
            (2.0 * static_cast<double>(roc.positives) * static_cast<double>(roc.negatives));
  return roc;
}

std::int64_t KaplanMeier::at_risk_at(double t) const {
  return static_cast<std::int64_t>(observed.end() -
                                   std::lower_bound(observed.begin(), observed.end(), t));
}

double KaplanMeier::survival_at(double t) const {
  // The last point at or before t (time holds duplicates only for events at 0).
  const auto it = std::upper_bound(time.begin(), time.end(), t);
  if (it == time.begin()) return 1;
  return survival[static_cast<std::size_t>(it - time.begin()) - 1];
}

KaplanMeier kaplan_meier(const std::vector<double>& time, const std::vector<int>& event) {
  check_survival_input(time, event, "kaplan_meier");
  KaplanMeier km;
  km.subjects = static_cast<std::int64_t>(time.size());
  const auto order = order_by(time);
  for (auto i : order) km.observed.push_back(time[i]);
  km.last_time = km.observed.empty() ? 0 : km.observed.back();
  km.time.push_back(0);
  km.survival.push_back(1);
  km.at_risk.push_back(km.subjects);
  km.events.push_back(0);
  double s = 1;
  std::int64_t at_risk = km.subjects;
  for (std::size_t i = 0; i < order.size();) {
    const double t = time[order[i]];
    std::int64_t deaths = 0, censored = 0;
    for (; i < order.size() && time[order[i]] == t; ++i) (event[order[i]] ? deaths : censored) += 1;
    if (deaths > 0) {
      s *= 1.0 - static_cast<double>(deaths) / static_cast<double>(at_risk);
      km.time.push_back(t);
      km.survival.push_back(s);
      km.at_risk.push_back(at_risk);
      km.events.push_back(deaths);
      km.total_events += deaths;
    }
    if (censored > 0) {
      km.censor_time.push_back(t);
      km.censor_survival.push_back(s);
    }
    at_risk -= deaths + censored;
  }
  return km;
}

LogRank log_rank_test(const std::vector<double>& time, const std::vector<int>& event,
                      const std::vector<int>& group, int groups) {
  check_survival_input(time, event, "log_rank_test");
  GALIEN_CHECK(group.size() == time.size(),
               "log_rank_test: " << group.size() << " groups for " << time.size() << " times");
  GALIEN_CHECK(groups >= 1, "log_rank_test: " << groups << " groups");
  const std::size_t g_count = static_cast<std::size_t>(groups);
  std::vector<double> at_risk(g_count, 0);
  for (int g : group) {
    GALIEN_CHECK(g >= 0 && g < groups, "log_rank_test: group " << g << " of " << groups);
    at_risk[static_cast<std::size_t>(g)] += 1;
  }
  LogRank lr;
  lr.observed.assign(g_count, 0);
  lr.expected.assign(g_count, 0);
  std::vector<double> v(g_count * g_count, 0);  // covariance of O - E
  std::vector<double> deaths(g_count), leaving(g_count);
  const auto order = order_by(time);
  for (std::size_t i = 0; i < order.size();) {
    const double t = time[order[i]];
    std::fill(deaths.begin(), deaths.end(), 0);
    std::fill(leaving.begin(), leaving.end(), 0);
    for (; i < order.size() && time[order[i]] == t; ++i) {
      const auto g = static_cast<std::size_t>(group[order[i]]);
      deaths[g] += event[order[i]];
      leaving[g] += 1;
    }
    const double d = std::accumulate(deaths.begin(), deaths.end(), 0.0);
    const double n = std::accumulate(at_risk.begin(), at_risk.end(), 0.0);
    if (d > 0) {
      const double spread = n > 1 ? d * (n - d) / (n - 1) : 0;
      for (std::size_t g = 0; g < g_count; ++g) {
        lr.observed[g] += deaths[g];
        lr.expected[g] += d * at_risk[g] / n;
        for (std::size_t h = 0; h < g_count; ++h)
          v[g * g_count + h] += spread * (at_risk[g] / n) * ((g == h ? 1.0 : 0.0) - at_risk[h] / n);
      }
    }
    for (std::size_t g = 0; g < g_count; ++g) at_risk[g] -= leaving[g];
  }
  // Rows and columns of the non-empty groups but the last: O - E sums to 0 over the groups, so
  // one is redundant (and V singular with it).
  std::vector<std::size_t> kept;
  for (std::size_t g = 0; g < g_count; ++g)
    if (std::count(group.begin(), group.end(), static_cast<int>(g)) > 0) kept.push_back(g);
  lr.degrees_of_freedom = static_cast<int>(kept.size()) - 1;
  if (lr.degrees_of_freedom < 1) {
    lr.chi_square = lr.p_value = kNaN;
    return lr;
  }
  kept.pop_back();
  const std::size_t k = kept.size();
  std::vector<double> a(k * k), diff(k);
  for (std::size_t r = 0; r < k; ++r) {
    diff[r] = lr.observed[kept[r]] - lr.expected[kept[r]];
    for (std::size_t c = 0; c < k; ++c) a[r * k + c] = v[kept[r] * g_count + kept[c]];
  }
  std::vector<double> z = diff;
  if (!solve(a, z)) {  // no events, or no time at which two groups are both at risk
    lr.chi_square = lr.p_value = kNaN;
    return lr;
  }
  lr.chi_square = std::inner_product(diff.begin(), diff.end(), z.begin(), 0.0);
  lr.p_value = chi_square_p_value(lr.chi_square, lr.degrees_of_freedom);
  return lr;
}

RiskGroups risk_group_curves(const std::vector<double>& risk, const std::vector<double>& time,
                             const std::vector<int>& event, int groups) {
  GALIEN_CHECK(risk.size() == time.size(),
               "risk_group_curves: " << risk.size() << " risks, " << time.size() << " times");
  check_survival_input(time, event, "risk_group_curves");
  if (groups < 2 || groups > 10)
    GALIEN_USER_ERROR("risk_group_curves: " << groups << " risk groups; use 2 to 10");
  for (std::size_t i = 0; i < risk.size(); ++i)
    if (!std::isfinite(risk[i]))
      GALIEN_USER_ERROR("risk_group_curves: predicted risk " << i << " is " << risk[i]
                                                             << " (did the model diverge?)");
  const std::size_t n = risk.size();
  const auto order = order_by(risk);
  RiskGroups rg;
  rg.group.assign(n, 0);
  for (std::size_t s = 0; s < n;) {
    std::size_t e = s;
    while (e < n && risk[order[e]] == risk[order[s]]) ++e;
    // Middle rank m = (s + e - 1) / 2, group floor((m + 1/2) groups / n), in integers.
    const int g = static_cast<int>(((s + e) * static_cast<std::size_t>(groups)) / (2 * n));
    for (std::size_t r = s; r < e; ++r) rg.group[order[r]] = std::min(g, groups - 1);
    s = e;
  }
  const auto g_count = static_cast<std::size_t>(groups);
  std::vector<std::vector<double>> g_time(g_count);
  std::vector<std::vector<int>> g_event(g_count);
  rg.risk_low.assign(g_count, kNaN);
  rg.risk_high.assign(g_count, kNaN);
  for (auto i : order) {  // ascending risk: the first seen is the low end
    const auto g = static_cast<std::size_t>(rg.group[i]);
    g_time[g].push_back(time[i]);
    g_event[g].push_back(event[i]);
    if (std::isnan(rg.risk_low[g])) rg.risk_low[g] = risk[i];
    rg.risk_high[g] = risk[i];
  }
  for (std::size_t g = 0; g < g_count; ++g)
    rg.curves.push_back(kaplan_meier(g_time[g], g_event[g]));
  rg.log_rank = log_rank_test(time, event, rg.group, groups);
  return rg;
}

}  // namespace galien
