// report.md of a reproduction: the published figure with its citation, what the runs achieved,
// the verdict, one row per run, and the pictures (learning curves; ROC, Kaplan-Meier curves of
// predicted risk groups, or predicted vs actual, by task; the per-fold figures for CV).
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "launcher/reproduce/statistics.h"
#include "launcher/reproduce/verdict.h"

namespace galien {

struct ReproductionRun {
  std::string label;    // "run", or "repeat 1 fold 3"
  std::string run_dir;  // absolute
  double value = 0;     // the published metric in this run
  double time_s = 0;    // training time (summary.json)
};

// Writes out_dir/report.md and its PNGs; returns the report's path.
std::string write_reproduction_report(const Config& config, const std::string& out_dir,
                                      const std::vector<ReproductionRun>& runs,
                                      const FigureSummary& achieved, const Verdict& verdict,
                                      int ranks);

}  // namespace galien
