// The pictures of a report (docs/reports.md), one function each, for `galien reproduce`. Each
// plot_* writes its PNG atomically; UserError naming the input or the output file when it
// cannot. The *_chart builders return the chart unsaved, so a test can ask its layout where a
// value must land.
#pragma once

#include <string>
#include <vector>

#include "reports/chart.h"
#include "reports/metrics_log.h"

namespace galien {

// Picture sizes in pixels: curves over time, ROC and predicted-vs-actual (near square, so the
// diagonal looks like one), survival (room for the number-at-risk table).
constexpr int kWideWidth = 800, kWideHeight = 500;
constexpr int kSquareWidth = 640, kSquareHeight = 600;
constexpr int kSurvivalWidth = 800, kSurvivalHeight = 560;

Chart loss_chart(const MetricsLog& log, const std::string& title);
Chart validation_metrics_chart(const MetricsLog& log, const std::string& title);
Chart roc_chart(const std::vector<double>& scores, const std::vector<int>& labels,
                const std::string& title);
Chart risk_group_chart(const std::vector<double>& risk, const std::vector<double>& time,
                       const std::vector<int>& event, int groups, const std::string& title,
                       const std::string& time_unit);
Chart predicted_vs_actual_chart(const std::vector<double>& predicted,
                                const std::vector<double>& actual, const std::string& title);
Chart fold_metric_chart(const std::vector<double>& values, double published, double tolerance,
                        const std::string& metric);

// Losses per epoch ("train/loss", "val/loss": every key ending in "loss") from a run's
// metrics.jsonl into `png`; and, when the log has validation metrics within [0, 1] ("val/auc",
// "val/accuracy", "val/c_index", "val/r2" when not negative...), those into <stem>-metrics.png
// beside it. Returns the files written (one or two). UserError naming file:line for a bad line,
// naming the file when it has no loss at all.
std::vector<std::string> plot_learning_curves(const std::string& metrics_jsonl,
                                              const std::string& png, const std::string& title);

// ROC curve of a binary classifier with its AUC in the legend. labels in {0, 1}; with one class
// only, the chart says the curve is undefined instead of drawing one.
void plot_roc(const std::vector<double>& scores, const std::vector<int>& labels,
              const std::string& png, const std::string& title);

// Kaplan-Meier curves of the patients split into `groups` (2 to 10, usually 2 or 3) equal-size
// groups by predicted risk (curves.h: risk_group_curves), censorings marked "+", the log-rank
// chi-square and p-value in the legend, the number at risk under the time axis. `time_unit`
// names the unit of `time` on the axis ("days", "months"; empty: none).
void plot_risk_groups(const std::vector<double>& risk, const std::vector<double>& time,
                      const std::vector<int>& event, int groups, const std::string& png,
                      const std::string& title, const std::string& time_unit);

// Regression: one point per patient at (actual, predicted), the y = x line, and R^2 =
// 1 - SS_res / SS_tot in the legend. Both axes share one range so the diagonal is y = x.
void plot_predicted_vs_actual(const std::vector<double>& predicted,
                              const std::vector<double>& actual, const std::string& png,
                              const std::string& title);

// Cross-validation: one point per fold or repeat (x = 1, 2, ...), their mean dashed, the
// published value as a line and published +/- tolerance shaded. A NaN fold is left out and
// counted in the legend; a NaN `published` draws no line or band.
void plot_fold_metric(const std::vector<double>& values, double published, double tolerance,
                      const std::string& metric, const std::string& png);

}  // namespace galien
