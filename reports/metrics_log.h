// A run's metrics.jsonl (trainers/observability/run_dir.h: one JSON object per epoch, null for a metric that
// is undefined that epoch) read back into one column per metric, for the learning curves.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace galien {

struct MetricsLog {
  std::vector<double> epoch;  // ascending, each once
  // Every numeric key but "epoch" ("train/loss", "val/auc", "learning_rate", ...), one value
  // per epoch; NaN where the record had null or lacked the key.
  std::map<std::string, std::vector<double>> values;
  // The record marked "final": 1 that a completed run appends last (the final model's test/ and
  // train/ metrics, trainer.eval_splits); empty when there is none. Not part of the curves.
  std::map<std::string, double> final_metrics;
};

// UserError naming path:line for a line that is not a JSON object, lacks a numeric "epoch", or
// holds a metric that is neither a number nor null; naming the path when it has no record.
// Blank lines are skipped. A resumed run appends the epochs after its checkpoint again: the
// last record of an epoch wins, as it is the one the final model descends from.
MetricsLog read_metrics_log(const std::string& path);

}  // namespace galien
