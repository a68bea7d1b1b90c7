#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/config/suggest.h"
#include "core/config/tasks.h"
#include "core/error.h"
#include "core/hash.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// A fresh scratch directory per test, so fixtures never leak from one test into another.
std::string test_dir() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(GALIEN_TEST_TMP) / "config" / test->test_suite_name() / test->name();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  fs::path path = fs::path(dir) / name;
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path.string();
}

// The UserError message of loading `path`; records a failure when it loads fine.
std::string load_error(const std::string& path, const std::vector<std::string>& overrides = {}) {
  try {
    load_config(path, overrides);
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UserError loading " << path;
  return "";
}

// The UserError message of resolving `task`'s default loss.
std::string user_error_of_resolve(const std::string& task) {
  try {
    resolve_task_loss(task, "auto", "here");
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UserError for task " << task;
  return "";
}

bool has_path(const YAML::Node& root, const std::string& path) {
  YAML::Node node = root;
  std::istringstream keys(path);
  for (std::string key; std::getline(keys, key, '.');) {
    const YAML::Node& view = node;  // const: operator[] must not insert a key
    if (!view.IsMap() || !view[key]) return false;
    node.reset(view[key]);
  }
  return true;
}

#define EXPECT_CONTAINS(text, part) EXPECT_PRED_FORMAT2(::testing::IsSubstring, part, text)

TEST(ConfigLoad, FillsDefaultsForAbsentKeys) {
  std::string path = write(test_dir(), "baseline.yaml", "trainer:\n  epochs: 3\n");
  Config config = load_config(path);
  EXPECT_EQ(config.name, "baseline");  // the file's stem
  EXPECT_EQ(config.trainer.epochs, 3);
  EXPECT_EQ(config.trainer.batch_size, 32);
  EXPECT_EQ(config.model.hidden, (std::vector<std::int64_t>{64, 32}));
  EXPECT_EQ(config.optim.name, "adam");
  EXPECT_DOUBLE_EQ(config.data.val_fraction, 0.15);
  EXPECT_FALSE(config.data.patient_id_column.has_value());
  EXPECT_EQ(config.source_file, path);
}

TEST(ConfigLoad, EmptyFileAndEmptySectionGiveDefaults) {
  std::string dir = test_dir();
  std::string empty = write(dir, "empty.yaml", "");
  EXPECT_EQ(load_config(empty).trainer.epochs, 10);
  EXPECT_EQ(load_config(empty, {"trainer.epochs=3"}).trainer.epochs, 3);
  EXPECT_EQ(load_config(write(dir, "child.yaml", "extends: empty.yaml\ntrainer: {epochs: 4}\n"))
                .trainer.epochs,
            4);
  EXPECT_EQ(load_config(write(dir, "commented.yaml", "trainer:\n  # epochs: 3\n")).trainer.epochs,
            10);
}

TEST(ConfigLoad, ReadsEveryKind) {
  std::string path = write(test_dir(), "kinds.yaml",
                           "name: kinds\n"
                           "data:\n"
                           "  classes: [1, 0]\n"
                           "  patient_id: pid\n"
                           "  missing: impute\n"
                           "  split: {val: 0.2, test: 0.1, seed: 18446744073709551615}\n"
                           "model:\n"
                           "  hidden: [128]\n"
                           "  dropout: 0.5\n"
                           "optim: {name: sgd, momentum: 0.8, nesterov: true}\n");
  Config config = load_config(path);
  EXPECT_EQ(config.data.classes, (std::vector<std::string>{"1", "0"}));
  EXPECT_EQ(config.data.patient_id_column, std::optional<std::string>("pid"));
  EXPECT_EQ(config.data.missing, "impute");
  EXPECT_DOUBLE_EQ(config.data.val_fraction, 0.2);
  EXPECT_EQ(config.data.split_seed, 18446744073709551615ull);
  EXPECT_EQ(config.model.hidden, (std::vector<std::int64_t>{128}));
  EXPECT_TRUE(config.optim.nesterov);
}

TEST(ConfigLoad, PatientIdNullMeansOnePatientPerRow) {
  std::string path = write(test_dir(), "c.yaml", "data:\n  patient_id: null\n");
  EXPECT_FALSE(load_config(path).data.patient_id_column.has_value());
  EXPECT_EQ(load_config(path, {"data.patient_id=pid"}).data.patient_id_column,
            std::optional<std::string>("pid"));
}

TEST(ConfigErrors, UnknownKeyNamesFileLineColumnAndSuggestion) {
  std::string path = write(test_dir(), "x.yaml",
                           "# experiment\n"
                           "optim:\n"
                           "  learnin_rate: 0.1\n");
  EXPECT_CONTAINS(load_error(path), path + ":3:3: unknown key 'learnin_rate' in section 'optim'; "
                                           "did you mean 'learning_rate'?");
}

TEST(ConfigErrors, EvalSplitsNameTheSplitsOnceEach) {
  std::string dir = test_dir();
  std::string path = write(dir, "x.yaml", "trainer:\n  eval_splits: [train, test]\n");
  EXPECT_EQ(load_config(path).trainer.eval_splits, (std::vector<std::string>{"train", "test"}));
  EXPECT_EQ(load_config(write(dir, "d.yaml", "{}\n")).trainer.eval_splits,
            (std::vector<std::string>{"val", "test"}));
  EXPECT_CONTAINS(load_error(write(dir, "bad.yaml", "trainer:\n  eval_splits: [train, valid]\n")),
                  "trainer.eval_splits lists 'valid': the splits are train, val and test");
  EXPECT_CONTAINS(load_error(path, {"trainer.eval_splits=[test, test]"}),
                  "trainer.eval_splits lists 'test' twice");
}

TEST(ConfigErrors, UnknownKeyFarFromAnyListsValidKeys) {
  std::string path = write(test_dir(), "x.yaml", "optim:\n  lr: 0.1\n");
  EXPECT_CONTAINS(load_error(path), "valid keys: name, learning_rate, momentum, nesterov, "
                                    "weight_decay");
}

TEST(ConfigErrors, UnknownSectionSuggestsNearest) {
  std::string dir = test_dir();
  EXPECT_CONTAINS(load_error(write(dir, "x.yaml", "trainr:\n  epochs: 3\n")),
                  "x.yaml:1:1: unknown top-level key 'trainr'; did you mean 'trainer'?");
  EXPECT_CONTAINS(load_error(write(dir, "y.yaml", "data:\n  splits:\n    val: 0.1\n")),
                  "y.yaml:2:3: unknown key 'splits' in section 'data'; did you mean 'split'?");
}

TEST(ConfigErrors, WrongTypeNamesKeyExpectationAndValue) {
  std::string dir = test_dir();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"trainer:\n  epochs: ten\n",
       "2:11: trainer.epochs must be an integer in [1, 100000], got 'ten'"},
      {"trainer:\n  epochs: 2.5\n", "trainer.epochs must be an integer in [1, 100000], got '2.5'"},
      {"trainer:\n  epochs: {a: 1}\n",
       "trainer.epochs must be an integer in [1, 100000], got a map"},
      {"trainer:\n  output_dir: [a]\n", "trainer.output_dir must be a string, got a list"},
      {"data:\n  csv:\n", "2:3: data.csv must be a string, got null"},
      {"model:\n  hidden: 64\n", "model.hidden must be a list of integers in [1, 1000000]"},
      {"data:\n  classes: [a, [b]]\n", "2:16: data.classes[1] must be a string, got a list"},
      {"optim:\n  nesterov: maybe\n", "optim.nesterov must be true or false, got 'maybe'"},
      {"optim:\n  learning_rate: fast\n", "optim.learning_rate must be a number in (0, 10]"},
      {"trainer: 5\n", "1:10: trainer must be a section (a map of keys), got '5'"},
      {"- trainer\n", "the top level must be a map of sections"},
  };
  for (const auto& [yaml, message] : cases) {
    SCOPED_TRACE(yaml);
    EXPECT_CONTAINS(load_error(write(dir, "x.yaml", yaml)), message);
  }
}

TEST(ConfigErrors, OutOfRangeNamesTheRange) {
  std::string dir = test_dir();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"trainer:\n  epochs: 0\n", "trainer.epochs must be an integer in [1, 100000], got '0'"},
      {"model:\n  dropout: 1\n", "model.dropout must be a number in [0, 1), got '1'"},
      {"optim:\n  learning_rate: 0\n", "optim.learning_rate must be a number in (0, 10], got '0'"},
      {"optim:\n  learning_rate: .inf\n", "got '.inf'"},
      {"data:\n  split:\n    seed: -1\n", "data.split.seed must be an integer >= 0, got '-1'"},
      {"model:\n  hidden: [64, 0]\n",
       "2:16: model.hidden[1] must be an integer in [1, 1000000], got '0'"},
  };
  for (const auto& [yaml, message] : cases) {
    SCOPED_TRACE(yaml);
    EXPECT_CONTAINS(load_error(write(dir, "x.yaml", yaml)), message);
  }
}

TEST(ConfigErrors, EnumListsAllowedValues) {
  std::string dir = test_dir();
  EXPECT_CONTAINS(load_error(write(dir, "x.yaml", "optim:\n  name: sdg\n")),
                  "optim.name must be one of adam, adamw, sgd, got 'sdg'; did you mean 'sgd'?");
  EXPECT_CONTAINS(load_error(write(dir, "y.yaml", "data:\n  missing: ignore\n")),
                  "data.missing must be one of error, drop_row, impute, got 'ignore'");
}

TEST(ConfigErrors, YamlSyntaxErrorNamesFileAndPosition) {
  std::string path = write(test_dir(), "x.yaml", "trainer:\n  epochs: [1,\n");
  std::string error = load_error(path);
  EXPECT_CONTAINS(error, path + ":");
  EXPECT_CONTAINS(error, ": YAML syntax error: ");
}

TEST(ConfigErrors, DuplicateKeyIsRejected) {
  std::string path = write(test_dir(), "x.yaml", "trainer:\n  epochs: 1\n  epochs: 2\n");
  EXPECT_CONTAINS(load_error(path), "x.yaml:3:3: duplicate key 'epochs'");
}

TEST(ConfigErrors, MissingFileNamesThePath) {
  EXPECT_CONTAINS(load_error(test_dir() + "/absent.yaml"), "absent.yaml");
}

TEST(ConfigOverrides, AppliedOverFileWithLastOneWinning) {
  std::string path = write(test_dir(), "c.yaml",
                           "data:\n  patient_id: pid\ntrainer:\n  epochs: 3\n  batch_size: 8\n");
  Config config = load_config(path, {"trainer.epochs=5", "model.hidden=[16, 8]",
                                     "data.patient_id=null", "optim={name: sgd, momentum: 0.5}",
                                     "trainer.epochs=7"});
  EXPECT_EQ(config.trainer.epochs, 7);
  EXPECT_EQ(config.trainer.batch_size, 8);  // sections merge: untouched keys stay
  EXPECT_EQ(config.model.hidden, (std::vector<std::int64_t>{16, 8}));
  EXPECT_FALSE(config.data.patient_id_column.has_value());
  EXPECT_EQ(config.optim.name, "sgd");
  EXPECT_DOUBLE_EQ(config.optim.momentum, 0.5);
}

TEST(ConfigOverrides, ErrorsNameTheOverride) {
  std::string path = write(test_dir(), "c.yaml", "");
  EXPECT_CONTAINS(load_error(path, {"trainer.epoch=5"}),
                  "command-line override 'trainer.epoch=5': unknown key 'epoch' in section "
                  "'trainer'; did you mean 'epochs'?");
  EXPECT_CONTAINS(load_error(path, {"trainer.epochs=ten"}),
                  "command-line override 'trainer.epochs=ten': trainer.epochs must be an integer "
                  "in [1, 100000], got 'ten'");
  EXPECT_CONTAINS(load_error(path, {"trainer.epochs"}),
                  "command-line override 'trainer.epochs': expected KEY=VALUE");
  EXPECT_CONTAINS(load_error(path, {"trainer..epochs=1"}), "expected KEY=VALUE");
  EXPECT_CONTAINS(load_error(path, {"model.hidden=[1,"}),
                  "command-line override 'model.hidden=[1,': YAML syntax error: ");
  EXPECT_CONTAINS(load_error(path, {"extends=base.yaml"}), "unknown top-level key 'extends'");
}

TEST(ConfigExtends, ChildWinsAndPathsAreRelativeToTheContainingFile) {
  std::string dir = test_dir();
  write(dir, "base/defaults.yaml", "launch:\n  ranks: 4\ntrainer:\n  seed: 9\n");
  write(dir, "base/common.yaml",
        "extends: defaults.yaml\n"  // relative to base/, not to the child or the cwd
        "data:\n  csv: clinical.csv\n  classes: [a, b, c]\n"
        "model:\n  hidden: [64, 64, 64]\n"
        "trainer:\n  epochs: 50\n  batch_size: 64\n");
  std::string child = write(dir, "exp/small.yaml",
                            "extends: ../base/common.yaml\n"
                            "model:\n  hidden: [8]\n"
                            "trainer:\n  epochs: 2\n");
  Config config = load_config(child);
  EXPECT_EQ(config.name, "small");
  EXPECT_EQ(config.trainer.epochs, 2);                                // child wins
  EXPECT_EQ(config.trainer.batch_size, 64);                           // maps merge per key
  EXPECT_EQ(config.model.hidden, (std::vector<std::int64_t>{8}));     // lists replace
  EXPECT_EQ(config.data.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(config.launch.ranks, 4);
  EXPECT_EQ(config.trainer.seed, 9u);
  EXPECT_EQ(config.resolved_yaml.find("extends"), std::string::npos);
}

TEST(ConfigExtends, ErrorsNameTheFileTheyAreIn) {
  std::string dir = test_dir();
  std::string base = write(dir, "base.yaml", "trainer:\n  epochs: 3\n  batchsize: 8\n");
  std::string child = write(dir, "child.yaml", "extends: base.yaml\n");
  EXPECT_CONTAINS(load_error(child), base + ":3:3: unknown key 'batchsize'");
  std::string orphan = write(dir, "orphan.yaml", "\nextends: missing.yaml\n");
  EXPECT_CONTAINS(load_error(orphan), orphan + ":2:10: extends: cannot find 'missing.yaml'");
  EXPECT_CONTAINS(load_error(write(dir, "bad.yaml", "extends: [a]\n")),
                  "extends must be the path of a base config");
  EXPECT_CONTAINS(load_error(write(dir, "typo.yaml", "extend: base.yaml\n")),
                  "did you mean 'extends'?");
}

TEST(ConfigExtends, CycleIsNamed) {
  std::string dir = test_dir();
  std::string a = write(dir, "a.yaml", "extends: b.yaml\n");
  std::string b = write(dir, "b.yaml", "extends: a.yaml\n");
  std::string error = load_error(a);
  EXPECT_CONTAINS(error, "extends cycle: " + a + " -> " + b + " -> " + a);
  EXPECT_CONTAINS(load_error(write(dir, "self.yaml", "extends: self.yaml\n")), "extends cycle");
}

TEST(ConfigCrossChecks, SplitFractionsMustLeaveATrainingSplit) {
  std::string dir = test_dir();
  std::string path = write(dir, "c.yaml", "data:\n  split:\n    val: 0.5\n    test: 0.5\n");
  EXPECT_CONTAINS(load_error(path), path + ":4:11: data.split.val (0.5) + data.split.test (0.5) "
                                           "must be below 1");
  EXPECT_NO_THROW(load_config(path, {"data.split.test=0.4"}));
}

TEST(ConfigCrossChecks, NesterovNeedsSgdWithMomentum) {
  std::string path = write(test_dir(), "c.yaml", "optim:\n  nesterov: true\n");
  EXPECT_CONTAINS(load_error(path),
                  path + ":2:13: optim.nesterov: true needs optim.name: sgd, got 'adam'");
  EXPECT_CONTAINS(load_error(path, {"optim.name=sgd", "optim.momentum=0"}),
                  "command-line override 'optim.momentum=0': optim.nesterov: true needs "
                  "optim.momentum > 0");
  EXPECT_NO_THROW(load_config(path, {"optim.name=sgd"}));
}

TEST(ConfigText, LoadsTextWithoutAFileAndRefusesExtends) {
  // load_config_text touches no file: the entry point of the loader's fuzz target.
  const Config config = load_config_text("trainer:\n  epochs: 3\n", "mem/exp.yaml",
                                         {"optim.name=sgd"});
  EXPECT_EQ(config.name, "exp");
  EXPECT_EQ(config.trainer.epochs, 3);
  EXPECT_EQ(config.optim.name, "sgd");
  EXPECT_EQ(config.sha256, load_config_text("trainer: {epochs: 3}\noptim: {name: sgd}\n", "exp.yaml")
                               .sha256);
  auto error_of_text = [](const std::string& text) {
    try {
      load_config_text(text, "exp.yaml");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error_of_text("trainer:\n  epoch: 3\n"),
            "exp.yaml:2:3: unknown key 'epoch' in section 'trainer'; did you mean 'epochs'?");
  EXPECT_CONTAINS(error_of_text("\nextends: base.yaml\n"),
                  "exp.yaml:2:10: extends needs the folder of a config file");
  EXPECT_CONTAINS(error_of_text("trainer: {epochs: 3\n"), "exp.yaml:2:1: YAML syntax error: ");
}

TEST(ConfigOrigins, EachValueRemembersTheFileLineOrOverrideThatSetIt) {
  std::string dir = test_dir();
  std::string base = write(dir, "base.yaml",
                           "trainer:\n  epochs: 5\n  seed: 3\n"
                           "sweep:\n  values:\n    - trainer.seed=[1, 2]\n    - optim.name=[adam]\n");
  std::string child = write(dir, "child.yaml",
                            "extends: base.yaml\ntrainer:\n  epochs: 7\nsweep:\n"
                            "  values:\n    - trainer.seed=[4]\n");
  Config config = load_config(child, {"trainer.seed=9"});
  EXPECT_EQ(config.origin_of("trainer.epochs"), child + ":3:11");
  EXPECT_EQ(config.origin_of("trainer.seed"), "command-line override 'trainer.seed=9'");
  EXPECT_EQ(config.origin_of("sweep.values[0]"), child + ":6:7");
  // The child's one-item list replaced the base's two items: no stale origin for item 1.
  EXPECT_EQ(config.origins.count("sweep.values[1]"), 0u);
  EXPECT_EQ(config.origin_of("trainer.batch_size"), child);  // a default: the config file
  EXPECT_EQ(load_config(base).origin_of("sweep.values[1]"), base + ":7:7");
}

TEST(ConfigOverrides, CheckOverrideNamesTheGivenOrigin) {
  EXPECT_NO_THROW(check_override("trainer.epochs=4", "sweep entry"));
  try {
    check_override("trainer.epoch=4", "exp.yaml:9:7: sweep.values[0]");
    ADD_FAILURE() << "expected a UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "exp.yaml:9:7: sweep.values[0]: unknown key 'epoch' in "
                                     "section 'trainer'; did you mean 'epochs'?");
  }
}

TEST(ConfigResolved, ListsEverySchemaKeyInSchemaOrder) {
  Config config = load_config(write(test_dir(), "c.yaml", ""));
  YAML::Node resolved = YAML::Load(config.resolved_yaml);
  for (const FieldSpec& field : config_schema())
    EXPECT_TRUE(has_path(resolved, field.path)) << field.path;
  std::vector<std::string> sections;
  for (const auto& entry : resolved) sections.push_back(entry.first.Scalar());
  EXPECT_EQ(sections, (std::vector<std::string>{"name", "data", "cv", "privacy", "model", "optim",
                                                 "trainer", "launch", "sweep", "augment", "published"}));
  EXPECT_CONTAINS(config.resolved_yaml, "  hidden: [64, 32]\n");
  EXPECT_CONTAINS(config.resolved_yaml, "  patient_id: null\n");
  EXPECT_CONTAINS(config.resolved_yaml, "  dropout: 0.0\n");
}

TEST(ConfigResolved, RoundTripsToTheSameText) {
  std::string dir = test_dir();
  std::string path = write(dir, "c.yaml",
                           "data:\n  classes: [1, 0]\n  label: 'null'\n  drop: [\"a b\", '~']\n"
                           "  split: {val: 0.1, seed: 18446744073709551615}\n"
                           "optim: {learning_rate: 3.0e-4, weight_decay: 1}\n");
  Config first = load_config(path, {"trainer.run_dir=\"\"", "data.patient_id=pid"});
  Config second = load_config(write(dir, "resolved.yaml", first.resolved_yaml));
  EXPECT_EQ(second.resolved_yaml, first.resolved_yaml);
  EXPECT_EQ(second.sha256, first.sha256);
  EXPECT_EQ(second.data.label_column, "null");
  EXPECT_EQ(second.data.drop, (std::vector<std::string>{"a b", "~"}));
  EXPECT_DOUBLE_EQ(second.optim.learning_rate, 3.0e-4);
}

TEST(ConfigResolved, HashIsStableAndFollowsValuesNotSpelling) {
  std::string dir = test_dir();
  std::string path = write(dir, "c.yaml", "name: run\noptim:\n  learning_rate: 0.001\n");
  Config config = load_config(path);
  EXPECT_EQ(config.sha256, sha256_hex(config.resolved_yaml));
  EXPECT_EQ(config.sha256.size(), 64u);
  EXPECT_EQ(load_config(path).sha256, config.sha256);
  EXPECT_NE(load_config(path, {"trainer.epochs=11"}).sha256, config.sha256);
  // Same values spelled differently, in another file order: same resolved config, same hash.
  std::string respelled = write(dir, "d.yaml", "optim: {learning_rate: 1.0e-3}\nname: run\n");
  EXPECT_EQ(load_config(respelled).sha256, config.sha256);
}

TEST(ConfigSchema, DescribeListsEveryKey) {
  std::string text = describe_schema();
  for (const FieldSpec& field : config_schema()) EXPECT_CONTAINS(text, field.path + ": ");
  EXPECT_CONTAINS(text, "trainer.epochs: an integer in [1, 100000], default 10\n");
  EXPECT_CONTAINS(text, "model.hidden: a list of integers in [1, 1000000], default [64, 32]\n");
  EXPECT_CONTAINS(text, "data.patient_id: a string or null, default null\n");
}

// ---- trainer.loss and the task catalog (core/config/tasks.h) ---------------------------------

TEST(TaskCatalog, EachTaskDefaultsToTodaysLossAndMonitor) {
  EXPECT_EQ(task_names(), (std::vector<std::string>{"classification", "survival", "regression",
                                                     "segmentation"}));
  EXPECT_EQ(find_task("classification")->default_loss(), "ce");
  EXPECT_EQ(find_task("survival")->default_loss(), "cox");
  EXPECT_EQ(find_task("regression")->default_loss(), "mse");
  EXPECT_EQ(find_task("segmentation")->default_loss(), "dice_ce");
  for (const TaskInfo& task : task_catalog()) {
    const bool dice = task.name == "segmentation";  // Dice is what segmentation selects on
    EXPECT_EQ(task.monitor, dice ? "val/dice" : "val/loss") << task.name;
    EXPECT_EQ(task.monitor_mode, dice ? "max" : "min") << task.name;
    EXPECT_EQ(resolve_task_loss(task.name, "auto", "here"), task.default_loss());
  }
  EXPECT_EQ(find_task("detection"), nullptr);
  EXPECT_CONTAINS(user_error_of_resolve("detection"),
                  "here: task 'detection' is not one this galien knows (classification, "
                  "survival, regression, segmentation)");
}

TEST(ConfigTrainerLoss, DefaultIsAutoAndATaskLossIsAccepted) {
  const std::string dir = test_dir();
  EXPECT_EQ(load_config(write(dir, "a.yaml", "name: a\n")).trainer.loss, "auto");
  const Config focal = load_config(write(dir, "b.yaml", "trainer:\n  loss: focal\n"));
  EXPECT_EQ(focal.trainer.loss, "focal");
  const Config breslow =
      load_config(write(dir, "c.yaml", "data:\n  task: survival\ntrainer:\n  loss: cox_breslow\n"));
  EXPECT_EQ(breslow.trainer.loss, "cox_breslow");
}

TEST(ConfigTrainerLoss, LossTheTaskDoesNotAcceptNamesTheKeyTheTaskAndTheAllowedValues) {
  const std::string dir = test_dir();
  const std::string path =
      write(dir, "r.yaml", "data:\n  task: regression\ntrainer:\n  loss: focal\n");
  const std::string message = load_error(path);
  EXPECT_CONTAINS(message, path + ":4:9: trainer.loss 'focal' is not a loss of task regression");
  EXPECT_CONTAINS(message, "allowed for regression: mse (default), or auto (= mse)");
  // The task from a base file, the loss from the command line.
  const std::string base = write(dir, "base.yaml", "data:\n  task: survival\n");
  const std::string child = write(dir, "child.yaml", "extends: base.yaml\n");
  const std::string over = load_error(child, {"trainer.loss=ce"});
  EXPECT_CONTAINS(over, "command-line override 'trainer.loss=ce'");
  EXPECT_CONTAINS(over, "trainer.loss 'ce' is not a loss of task survival");
  EXPECT_CONTAINS(over, "allowed for survival: cox (default), cox_breslow");
}

TEST(ConfigTrainerLoss, UnknownLossIsRefusedAtItsLineWithEveryValue) {
  const std::string dir = test_dir();
  const std::string path = write(dir, "d.yaml", "trainer:\n  loss: dise\n");
  const std::string message = load_error(path);
  EXPECT_CONTAINS(message, path + ":2:9");
  EXPECT_CONTAINS(message, "trainer.loss");
  EXPECT_CONTAINS(message, "auto, ce, focal, cox, cox_breslow, mse, dice_ce, dice");
  // A loss of another task is refused naming the task's own losses.
  const std::string other = load_error(write(dir, "e.yaml", "trainer:\n  loss: dice\n"));
  EXPECT_CONTAINS(other, "trainer.loss 'dice' is not a loss of task classification; allowed for "
                         "classification: ce (default), focal");
}

TEST(ConfigTrainerLoss, ConfigKeysListsItWithEachTasksLosses) {
  const std::string text = describe_schema();
  EXPECT_CONTAINS(text, "trainer.loss");
  EXPECT_CONTAINS(text, "classification: ce (default), focal; survival: cox (default), "
                        "cox_breslow; regression: mse (default)");
}

TEST(Suggest, ClosestMatchOnlyWhenNear) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  std::vector<std::string> keys = {"epochs", "batch_size", "seed"};
  EXPECT_EQ(closest_match("epoch", keys), std::optional<std::string>("epochs"));
  EXPECT_EQ(closest_match("batchsize", keys), std::optional<std::string>("batch_size"));
  EXPECT_EQ(closest_match("learning_rate", keys), std::nullopt);
}

}  // namespace
}  // namespace galien
