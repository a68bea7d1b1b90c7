// datasets/run_checks: what `galien launch` finds before any process starts, and the monitor the
// trainer follows when the shards have no val split.
#include <gtest/gtest.h>

#include "core/error.h"
#include "datasets/run_checks.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

using test::user_error_of;

Manifest manifest_with(const std::vector<std::string>& splits, std::int64_t train_samples = 100) {
  Manifest manifest;
  manifest.key_id = "0123456789abcdef";
  for (const std::string& name : splits) {
    SplitInfo& split = manifest.splits[name];
    split.num_samples = name == "train" ? train_samples : 20;
    split.shards.push_back({name + "-00000.h5", split.num_samples, std::string(64, '0')});
  }
  return manifest;
}

Config config_for(const std::string& shard_dir) {
  Config config;
  config.data.shard_dir = shard_dir;
  return config;
}

TEST(RunChecks, WithoutAValSplitTheDefaultMonitorFallsBackToTrainLossWithANote) {
  Config config = config_for("runs/shards/noval");
  MonitorChoice choice = resolve_monitor(config, manifest_with({"train", "test"}));
  EXPECT_EQ(choice.metric, "train/loss");
  EXPECT_EQ(choice.mode, "min");
  EXPECT_CONTAINS(choice.note, "runs/shards/noval has no val split: best.pt, early stopping and "
                               "the plateau schedule follow train/loss");
  // With a val split nothing changes and nothing is said.
  choice = resolve_monitor(config, manifest_with({"train", "val", "test"}));
  EXPECT_EQ(choice.metric, "val/loss");
  EXPECT_TRUE(choice.note.empty());
}

TEST(RunChecks, AChosenValMetricWithoutValAndAnyTestMetricAreRefused) {
  Config config = config_for("runs/shards/noval");
  config.trainer.monitor = "val/auc";
  config.trainer.monitor_mode = "max";
  EXPECT_CONTAINS(user_error_of([&] { resolve_monitor(config, manifest_with({"train"})); }),
                  "trainer.monitor 'val/auc' needs a val split, and runs/shards/noval has none");
  config.trainer.monitor = "test/auc";
  EXPECT_CONTAINS(user_error_of([&] { resolve_monitor(config, manifest_with({"train", "val"})); }),
                  "trainer.monitor 'test/auc': choosing the best model on the test split leaks it");
}

TEST(RunChecks, AModelForAnotherTaskIsReportedBeforeStart) {
  Config config = config_for("runs/shards/seg");
  config.model.name = "unet3d";
  Manifest manifest = manifest_with({"train", "val"});  // a classification dataset
  const std::vector<std::string> problems = run_problems(config, manifest, 2);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_CONTAINS(problems[0], "model.name unet3d serves segmentation, but the shards in "
                               "runs/shards/seg hold a classification dataset");
  manifest.task = "segmentation";
  EXPECT_TRUE(run_problems(config, manifest, 2).empty());
}

TEST(RunChecks, EveryProblemIsReportedOnceBeforeStart) {
  Config config = config_for("runs/shards/small");
  config.trainer.monitor = "val/auc";
  config.trainer.batch_size = 256;
  Manifest manifest = manifest_with({"train"}, 100);
  manifest.encryption = EncryptionInfo{};
  const std::vector<std::string> problems = run_problems(config, manifest, 4);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_CONTAINS(problems[0], "trainer.monitor 'val/auc' needs a val split");
  EXPECT_CONTAINS(problems[1], "trainer.batch_size 256 is larger than the train split (100 samples");
  EXPECT_CONTAINS(problems[2], "holds encrypted shards and privacy.key_file is empty");
  config.trainer.batch_size = 2;
  config.trainer.monitor = "train/loss";
  manifest.encryption.reset();
  const std::vector<std::string> ranks = run_problems(config, manifest, 4);
  ASSERT_EQ(ranks.size(), 1u);
  EXPECT_CONTAINS(ranks[0], "must be at least the rank count (4)");
  EXPECT_TRUE(run_problems(config, manifest, 2).empty());
}

TEST(RunChecks, EvalSplitsChooseWhatIsEvaluatedAndTheMonitorFollows) {
  Config config = config_for("runs/shards/all");
  const Manifest all = manifest_with({"train", "val", "test"});
  // Default [val, test]: train only with trainer.evaluate_train (kept as its synonym).
  EXPECT_TRUE(evaluates_split(config, all, "val"));
  EXPECT_TRUE(evaluates_split(config, all, "test"));
  EXPECT_FALSE(evaluates_split(config, all, "train"));
  config.trainer.evaluate_train = true;
  EXPECT_TRUE(evaluates_split(config, all, "train"));
  // A listed split the shards lack is not evaluated.
  config.trainer.eval_splits = {"train", "test"};
  EXPECT_FALSE(evaluates_split(config, manifest_with({"train", "val"}), "test"));
  // val left out: the default monitor falls back to train/loss, saying why and what to change.
  MonitorChoice choice = resolve_monitor(config, all);
  EXPECT_FALSE(evaluates_split(config, all, "val"));
  EXPECT_EQ(choice.metric, "train/loss");
  EXPECT_CONTAINS(choice.note, "trainer.eval_splits leaves out val: best.pt");
  EXPECT_CONTAINS(choice.note, "add val to trainer.eval_splits");
  config.trainer.monitor = "val/auc";
  config.trainer.monitor_mode = "max";
  EXPECT_CONTAINS(user_error_of([&] { resolve_monitor(config, all); }),
                  "trainer.monitor 'val/auc' needs val metrics, and trainer.eval_splits leaves "
                  "out val: add val to trainer.eval_splits");
}

TEST(RunChecks, PatientMetricsOnAnotherTaskAreReportedBeforeStart) {
  Config config = config_for("runs/shards/surv");
  config.trainer.patient_metrics = true;
  Manifest manifest = manifest_with({"train", "val"});
  EXPECT_TRUE(run_problems(config, manifest, 1).empty());  // classification
  manifest.task = "survival";
  const std::vector<std::string> problems = run_problems(config, manifest, 1);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_CONTAINS(problems[0], "trainer.patient_metrics is for classification (a patient's mean "
                               "probability), and runs/shards/surv holds a survival dataset");
}

}  // namespace
}  // namespace galien
