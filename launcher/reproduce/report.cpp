#include "launcher/reproduce/report.h"

#include <filesystem>
#include <sstream>

#include "core/fs.h"
#include "core/text.h"
#include "datasets/csv.h"
#include "reports/plots.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

std::vector<double> column(const CsvTable& table, const std::string& name) {
  const int c = table.column_index(name);
  std::vector<double> values;
  if (c < 0) return values;
  for (const auto& row : table.rows) values.push_back(std::stod(row.fields[static_cast<std::size_t>(c)]));
  return values;
}

std::vector<int> as_ints(const std::vector<double>& values) {
  return {values.begin(), values.end()};
}

// The task's picture from the first run's predictions of the metric's split; "" if none.
std::string prediction_picture(const std::string& predictions, const std::string& out_dir,
                               const std::string& title) {
  if (!fs::exists(predictions)) return "";
  const CsvTable table = read_csv(predictions);
  if (table.column_index("risk") >= 0) {
    plot_risk_groups(column(table, "risk"), column(table, "time"), as_ints(column(table, "event")),
                     2, out_dir + "/risk-groups.png",
                     title + ": Kaplan-Meier curves of the predicted low and high risk halves",
                     "days");
    return "risk-groups.png";
  }
  if (table.column_index("prediction") >= 0) {
    plot_predicted_vs_actual(column(table, "prediction"), column(table, "target"),
                             out_dir + "/predicted-vs-actual.png", title + ": predicted vs actual");
    return "predicted-vs-actual.png";
  }
  // Binary classification: the ROC of class index 1 (the metrics' positive class).
  if (table.column_index("prob_1") >= 0 && table.column_index("prob_2") < 0) {
    std::vector<int> positive;
    for (double label : column(table, "label")) positive.push_back(label == 1.0 ? 1 : 0);
    plot_roc(column(table, "prob_1"), positive, out_dir + "/roc.png", title + ": ROC");
    return "roc.png";
  }
  return "";
}


}  // namespace

std::string write_reproduction_report(const Config& config, const std::string& out_dir,
                                      const std::vector<ReproductionRun>& runs,
                                      const FigureSummary& achieved, const Verdict& verdict,
                                      int ranks) {
  const PublishedConfig& p = config.published;
  std::ostringstream md;
  md << "# Reproduction: " << config.name << "\n\n";
  md << "Config: `" << config.source_file << "` (SHA-256 " << config.sha256.substr(0, 16)
     << "...), " << ranks << " rank(s) per run, " << runs.size() << " run(s).\n\n";
  md << "## Result: " << (verdict.pass ? "PASS" : "FAIL") << "\n\n";
  md << verdict_table(p, achieved, verdict) << "\n";
  md << "## Published figure\n\n";
  md << "- citation: " << p.citation << "\n";
  md << "- where read: " << p.where_read << " (status: " << p.status << ")\n";
  md << "- published protocol: " << p.protocol << "\n";
  if (!p.note.empty()) md << "- note: " << p.note << "\n";
  md << "\n## Runs\n\n| run | " << p.metric << " | training time (s) | run directory |\n"
     << "|---|---|---|---|\n";
  double total_time = 0;
  std::vector<double> values;
  for (const auto& run : runs) {
    md << "| " << run.label << " | " << fixed(run.value, 4) << " | " << fixed(run.time_s, 1)
       << " | `" << run.run_dir << "` |\n";
    total_time += run.time_s;
    values.push_back(run.value);
  }
  md << "\nTotal training time: " << fixed(total_time, 1) << " s.\n\n## Pictures\n\n";
  const ReproductionRun& first = runs.front();
  for (const auto& png :
       plot_learning_curves(first.run_dir + "/metrics.jsonl", out_dir + "/learning-curves.png",
                            config.name + " (" + first.label + "): learning curves"))
    md << "![learning curves](" << fs::path(png).filename().string() << ")\n\n";
  const std::string split = p.metric.substr(0, p.metric.find('/'));
  const std::string picture = prediction_picture(first.run_dir + "/predictions-" + split + ".csv",
                                                 out_dir, config.name + " (" + first.label + ")");
  if (!picture.empty()) md << "![" << split << " predictions](" << picture << ")\n\n";
  if (runs.size() > 1) {
    plot_fold_metric(values, p.value, p.tolerance, p.metric, out_dir + "/folds.png");
    md << "![" << p.metric << " per run](folds.png)\n";
  }
  const std::string path = out_dir + "/report.md";
  write_file_atomic(path, md.str());
  return path;
}

}  // namespace galien
