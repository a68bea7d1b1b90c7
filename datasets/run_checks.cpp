#include "datasets/run_checks.h"

#include <algorithm>
#include <filesystem>

#include "core/config/models.h"
#include "core/config/tasks.h"
#include "core/error.h"
#include "privacy/data_keys.h"

namespace galien {
namespace {

constexpr const char* kDefaultMonitor = "val/loss";

// Why there are no val metrics, and what to change, for the monitor's messages.
std::string no_val_reason(const Config& config, const Manifest& manifest) {
  if (has_split(manifest, "val")) return "trainer.eval_splits leaves out val";
  return config.data.shard_dir + " has no val split";
}

std::string no_val_remedy(const Manifest& manifest) {
  return has_split(manifest, "val") ? "add val to trainer.eval_splits"
                                    : "re-shard with data.split.val > 0";
}

}  // namespace

bool evaluates_split(const Config& config, const Manifest& manifest, const std::string& split) {
  const TrainerConfig& t = config.trainer;
  const bool listed =
      std::find(t.eval_splits.begin(), t.eval_splits.end(), split) != t.eval_splits.end() ||
      (split == "train" && t.evaluate_train);
  return listed && has_split(manifest, split);
}

MonitorChoice resolve_monitor(const Config& config, const Manifest& manifest) {
  const TrainerConfig& t = config.trainer;
  MonitorChoice choice{t.monitor, t.monitor_mode, ""};
  const bool has_val = evaluates_split(config, manifest, "val");
  // Left at its default, the monitor is the task's (segmentation: val/dice, max).
  const TaskInfo* task = find_task(manifest.task);
  const bool default_monitor = t.monitor == kDefaultMonitor && t.monitor_mode == "min" &&
                               !config.origins.count("trainer.monitor") &&
                               !config.origins.count("trainer.monitor_mode");
  if (default_monitor && task && !has_val) {
    choice.metric = "train/loss";
    choice.mode = "min";
    choice.note = no_val_reason(config, manifest) + ": best.pt, early stopping and the "
                  "plateau schedule follow train/loss (trainer.monitor's default " +
                  task->monitor + " needs a val split; " + no_val_remedy(manifest) + " to "
                  "select on held-out data)";
    return choice;
  }
  if (default_monitor && task) {
    choice.metric = task->monitor;
    choice.mode = task->monitor_mode;
    return choice;
  }
  if (t.monitor.rfind("test/", 0) == 0) {
    GALIEN_USER_ERROR("trainer.monitor '" << t.monitor << "': choosing the best model on the test "
                      << "split leaks it into training; monitor a val/ or train/ metric");
  }
  if (t.monitor.rfind("val/", 0) == 0 && !has_val) {
    if (t.monitor == kDefaultMonitor && t.monitor_mode == "min") {
      choice.metric = "train/loss";
      choice.note = no_val_reason(config, manifest) + ": best.pt, early stopping and the "
                    "plateau schedule follow train/loss (trainer.monitor's default val/loss needs "
                    "a val split; " + no_val_remedy(manifest) + " to select on held-out data)";
    } else if (has_split(manifest, "val")) {
      GALIEN_USER_ERROR("trainer.monitor '" << t.monitor << "' needs val metrics, and "
                        << "trainer.eval_splits leaves out val: add val to trainer.eval_splits, "
                        << "or set trainer.monitor: train/loss");
    } else {
      GALIEN_USER_ERROR("trainer.monitor '" << t.monitor << "' needs a val split, and "
                        << config.data.shard_dir << " has none (it was sharded with "
                        << "data.split.val: 0): set trainer.monitor: train/loss, or re-shard "
                        << "with data.split.val > 0");
    }
  }
  return choice;
}

void check_patient_metrics(const Config& config, const Manifest& manifest) {
  if (config.trainer.patient_metrics && manifest.task != "classification")
    GALIEN_USER_ERROR(config.origin_of("trainer.patient_metrics")
                      << ": trainer.patient_metrics is for classification (a patient's mean "
                      << "probability), and " << config.data.shard_dir << " holds a "
                      << manifest.task << " dataset: remove the key");
}

std::vector<std::string> run_problems(const Config& config, const Manifest& manifest, int ranks) {
  std::vector<std::string> problems;
  try {
    check_patient_metrics(config, manifest);
  } catch (const UserError& e) {
    problems.emplace_back(e.what());
  }
  try {
    resolve_monitor(config, manifest);
  } catch (const UserError& e) {
    problems.emplace_back(e.what());
  }
  // The model against the shards' task, as the trainer checks it at set-up.
  try {
    check_model_serves(config.model.name, manifest.task, config.data.shard_dir,
                       config.origin_of("model.name"));
  } catch (const UserError& e) {
    problems.emplace_back(e.what());
  }
  const TrainerConfig& t = config.trainer;
  auto train = manifest.splits.find("train");
  if (train != manifest.splits.end() && t.batch_size > train->second.num_samples) {
    problems.push_back("trainer.batch_size " + std::to_string(t.batch_size) + " is larger than "
                       "the train split (" + std::to_string(train->second.num_samples) +
                       " samples in " + config.data.shard_dir + "): lower trainer.batch_size");
  }
  if (ranks > 0 && t.batch_size < ranks) {
    problems.push_back("trainer.batch_size " + std::to_string(t.batch_size) + " is the global "
                       "batch and must be at least the rank count (" + std::to_string(ranks) +
                       "): raise trainer.batch_size or use fewer ranks");
  }
  const std::string& key_file = config.privacy.key_file;
  if (manifest.encryption && key_file.empty()) {
    problems.push_back(config.data.shard_dir + " holds encrypted shards and privacy.key_file is "
                       "empty: set it to this dataset's data key (galien keygen --data-key) or "
                       "the data controller's key, key id " + manifest.key_id);
  }
  if (!key_file.empty() && std::filesystem::exists(key_file)) {
    try {
      const std::optional<DataKeys> keys = load_data_keys(key_file);
      const DatasetIdentity dataset = dataset_identity(manifest);
      if (keys && !keys->opens(dataset)) {
        problems.push_back("privacy.key_file " + key_file + ": " +
                           other_dataset_advice(*keys, dataset,
                                                "shard directory " + config.data.shard_dir));
      } else if (keys && keys->key_id() != manifest.key_id) {
        problems.push_back("privacy.key_file " + key_file + ": " +
                           wrong_key_advice(manifest.key_id, keys->key_id()));
      }
    } catch (const UserError& e) {
      problems.emplace_back(e.what());
    }
  }
  return problems;
}

}  // namespace galien
