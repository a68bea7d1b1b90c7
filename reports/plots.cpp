#include "reports/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/error.h"
#include "core/text.h"
#include "reports/chart.h"
#include "reports/curves.h"
#include "reports/metrics_log.h"
#include "reports/ticks.h"

namespace galien {
namespace {

constexpr std::size_t kMarkersUpTo = 30;       // epochs: beyond, markers merge into a thick line
constexpr std::size_t kCensorMarksUpTo = 300;  // per risk group


std::string format_p(double p) {
  if (std::isnan(p)) return "p undefined";
  if (p == 0) return "p < 1e-300";  // below what a double holds
  char text[64];
  std::snprintf(text, sizeof text, p >= 0.001 ? "p = %.3f" : "p = %.1e", p);
  return text;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

bool within_unit_interval(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(),
                     [](double x) { return !std::isfinite(x) || (x >= 0 && x <= 1); });
}

std::string risk_group_name(int g, int groups) {
  if (groups == 2) return g == 0 ? "low risk" : "high risk";
  if (groups == 3) return g == 0 ? "low risk" : g == 1 ? "intermediate risk" : "high risk";
  return "risk group " + std::to_string(g + 1) + " of " + std::to_string(groups);
}

// A builder's UserError (bad data) says which picture it was drawing.
template <typename Build>
Chart building(const std::string& png, Build build) {
  try {
    return build();
  } catch (const UserError& e) {
    GALIEN_USER_ERROR("cannot draw " << png << ": " << e.what());
  }
}

}  // namespace

Chart loss_chart(const MetricsLog& log, const std::string& title) {
  Chart chart;
  chart.title = title;
  chart.x_axis.label = "epoch";
  chart.x_axis.integer_ticks = true;
  chart.y_axis.label = "loss";
  for (const auto& [key, column] : log.values) {
    if (!ends_with(key, "loss") || !any_finite(column)) continue;
    Series s{key, log.epoch, column};
    s.markers = log.epoch.size() <= kMarkersUpTo;
    chart.add(s);
  }
  return chart;
}

Chart validation_metrics_chart(const MetricsLog& log, const std::string& title) {
  Chart chart;
  chart.title = title;
  chart.x_axis.label = "epoch";
  chart.x_axis.integer_ticks = true;
  chart.y_axis = {"metric", 0.0, 1.0};
  for (const auto& [key, column] : log.values) {
    if (key.rfind("val/", 0) != 0 || ends_with(key, "loss") || !any_finite(column) ||
        !within_unit_interval(column))
      continue;
    Series s{key, log.epoch, column};
    s.markers = log.epoch.size() <= kMarkersUpTo;
    chart.add(s);
  }
  return chart;
}

std::vector<std::string> plot_learning_curves(const std::string& metrics_jsonl,
                                              const std::string& png, const std::string& title) {
  const MetricsLog log = read_metrics_log(metrics_jsonl);
  const Chart losses = loss_chart(log, title);
  if (losses.series.empty())
    GALIEN_USER_ERROR(metrics_jsonl << " has no loss values (no key ending in \"loss\" with a "
                                    << "number): nothing to draw learning curves from");
  losses.save(png, kWideWidth, kWideHeight);
  std::vector<std::string> written{png};
  const Chart metrics = validation_metrics_chart(log, title + ": validation metrics");
  if (!metrics.series.empty()) {
    const std::string stem = ends_with(png, ".png") ? png.substr(0, png.size() - 4) : png;
    written.push_back(stem + "-metrics.png");
    metrics.save(written.back(), kWideWidth, kWideHeight);
  }
  return written;
}

Chart roc_chart(const std::vector<double>& scores, const std::vector<int>& labels,
                const std::string& title) {
  const RocCurve roc = roc_curve(scores, labels);
  Chart chart;
  chart.title = title;
  chart.x_axis = {"false positive rate (1 - specificity)", 0.0, 1.0};
  chart.y_axis = {"true positive rate (sensitivity)", 0.0, 1.0};
  chart.diagonal = true;
  chart.diagonal_name = "chance (AUC = 0.5)";
  if (std::isnan(roc.auc)) {
    chart.notes.push_back("ROC undefined: " + std::to_string(roc.positives) + " positive, " +
                          std::to_string(roc.negatives) + " negative");
  } else {
    chart.add({"model (AUC = " + fixed(roc.auc, 3) + ")", roc.fpr, roc.tpr});
    chart.notes.push_back(std::to_string(roc.positives) + " positive, " +
                          std::to_string(roc.negatives) + " negative");
  }
  return chart;
}

void plot_roc(const std::vector<double>& scores, const std::vector<int>& labels,
              const std::string& png, const std::string& title) {
  building(png, [&] {
    return roc_chart(scores, labels, title);
  }).save(png, kSquareWidth, kSquareHeight);
}

Chart risk_group_chart(const std::vector<double>& risk, const std::vector<double>& time,
                       const std::vector<int>& event, int groups, const std::string& title,
                       const std::string& time_unit) {
  const RiskGroups rg = risk_group_curves(risk, time, event, groups);
  Chart chart;
  chart.title = title;
  chart.x_axis.label = time_unit.empty() ? "time" : "time (" + time_unit + ")";
  chart.x_axis.min = 0;
  chart.y_axis = {"survival probability", 0.0, 1.0};
  chart.table_title = "number at risk";
  for (int g = 0; g < groups; ++g) {
    const KaplanMeier& km = rg.curves[static_cast<std::size_t>(g)];
    const std::string name = risk_group_name(g, groups);
    if (km.subjects == 0) {
      chart.notes.push_back(name + ": no patients");
      continue;
    }
    const Rgb colour = palette_colour(static_cast<std::size_t>(g));
    Series curve{name + " (n = " + std::to_string(km.subjects) + ", " +
                     std::to_string(km.total_events) + " events)",
                 km.time, km.survival, SeriesStyle::kStep, colour};
    if (km.last_time > km.time.back()) {  // flat until the last patient leaves follow-up
      curve.x.push_back(km.last_time);
      curve.y.push_back(km.survival.back());
    }
    chart.add(curve);
    // Censorings as "+"; beyond a few hundred they only thicken the curve into a smear.
    if (km.censor_time.size() <= kCensorMarksUpTo) {
      Series marks{"", km.censor_time, km.censor_survival, SeriesStyle::kPoints, colour, 7};
      marks.marker = Marker::kPlus;
      chart.add(marks);
    }
    chart.table.push_back(
        {name, colour, [km](double t) { return std::to_string(km.at_risk_at(t)); }});
  }
  const LogRank& lr = rg.log_rank;
  chart.notes.push_back(std::isnan(lr.chi_square)
                            ? std::string("log-rank test undefined (no events, or one group)")
                            : "log-rank chi2 = " + fixed(lr.chi_square, 2) + ", " +
                                  std::to_string(lr.degrees_of_freedom) + " df, " +
                                  format_p(lr.p_value));
  return chart;
}

void plot_risk_groups(const std::vector<double>& risk, const std::vector<double>& time,
                      const std::vector<int>& event, int groups, const std::string& png,
                      const std::string& title, const std::string& time_unit) {
  building(png, [&] {
    return risk_group_chart(risk, time, event, groups, title, time_unit);
  }).save(png, kSurvivalWidth, kSurvivalHeight);
}

Chart predicted_vs_actual_chart(const std::vector<double>& predicted,
                                const std::vector<double>& actual, const std::string& title) {
  GALIEN_CHECK(predicted.size() == actual.size(),
               "plot_predicted_vs_actual: " << predicted.size() << " predictions, " << actual.size()
                                            << " actual values");
  if (predicted.empty()) GALIEN_USER_ERROR("predicted-vs-actual chart: no patients to plot");
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (!std::isfinite(predicted[i]) || !std::isfinite(actual[i]))
      GALIEN_USER_ERROR("predicted-vs-actual chart: patient "
                        << i << " has prediction " << predicted[i] << ", actual " << actual[i]
                        << "; both must be finite (did the model diverge?)");
  }
  const double n = static_cast<double>(actual.size());
  const double mean = std::accumulate(actual.begin(), actual.end(), 0.0) / n;
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    ss_res += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
    ss_tot += (actual[i] - mean) * (actual[i] - mean);
  }
  const auto [lo_a, hi_a] = std::minmax_element(actual.begin(), actual.end());
  const auto [lo_p, hi_p] = std::minmax_element(predicted.begin(), predicted.end());
  const AxisTicks shared = nice_ticks(std::min(*lo_a, *lo_p), std::max(*hi_a, *hi_p), 6, true);
  Chart chart;
  chart.title = title;
  chart.x_axis = {"actual", shared.low, shared.high};
  chart.y_axis = {"predicted", shared.low, shared.high};
  chart.diagonal = true;
  chart.diagonal_name = "perfect prediction (y = x)";
  chart.add({"patients (n = " + std::to_string(actual.size()) + ")", actual, predicted,
             SeriesStyle::kPoints, std::nullopt, 5});
  chart.notes.push_back(ss_tot > 0 ? "R^2 = " + fixed(1 - ss_res / ss_tot, 3)
                                   : std::string("R^2 undefined: all actual values are equal"));
  return chart;
}

void plot_predicted_vs_actual(const std::vector<double>& predicted,
                              const std::vector<double>& actual, const std::string& png,
                              const std::string& title) {
  building(png, [&] {
    return predicted_vs_actual_chart(predicted, actual, title);
  }).save(png, kSquareWidth, kSquareHeight);
}

Chart fold_metric_chart(const std::vector<double>& values, double published, double tolerance,
                        const std::string& metric) {
  if (values.empty()) GALIEN_USER_ERROR("fold chart of " << metric << ": no fold values");
  if (!(tolerance >= 0))
    GALIEN_USER_ERROR("fold chart of " << metric << ": tolerance " << tolerance
                                       << "; it must be a number >= 0");
  std::vector<double> x(values.size());
  std::iota(x.begin(), x.end(), 1.0);
  std::size_t missing = 0;
  double sum = 0;
  for (double v : values) {
    if (std::isfinite(v))
      sum += v;
    else
      ++missing;
  }
  const std::size_t counted = values.size() - missing;
  Chart chart;
  chart.title = metric + " across " + std::to_string(values.size()) + " folds";
  chart.x_axis = {"fold", 0.5, values.size() + 0.5, true};
  chart.y_axis.label = metric;
  if (std::isfinite(published)) {
    chart.bands.push_back({published - tolerance, published + tolerance,
                           "published +/- " + fixed(tolerance, 3), Rgb{214, 228, 243}});
    chart.lines.push_back({published, "published " + fixed(published, 3), kBlack});
  }
  if (counted > 0) {
    const double mean = sum / static_cast<double>(counted);
    chart.lines.push_back({mean, "mean of folds " + fixed(mean, 3), palette_colour(0), Dash{8, 5}});
  }
  chart.add({metric + " of a fold", x, values, SeriesStyle::kPoints, palette_colour(1), 8});
  if (missing > 0)
    chart.notes.push_back(std::to_string(missing) + " fold" + (missing > 1 ? "s" : "") +
                          " without a value (NaN)");
  return chart;
}

void plot_fold_metric(const std::vector<double>& values, double published, double tolerance,
                      const std::string& metric, const std::string& png) {
  building(png, [&] {
    return fold_metric_chart(values, published, tolerance, metric);
  }).save(png, kWideWidth, kWideHeight);
}

}  // namespace galien
