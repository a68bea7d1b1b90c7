// The typed, validated configuration of a galien run. Every key a user may write in YAML is a
// field here; core/config/schema.cpp lists each one with its type, default, range and help text,
// and the loader (loader.cpp) refuses anything else with file:line:column and a suggestion.
//
// Relative paths are kept as written and resolved against the working directory when used
// (galien launch and the ranks it starts share it), so the resolved config and its hash do not
// depend on where the checkout lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace galien {

struct DataConfig {
  std::string csv;                                // data.csv: the clinical table
  std::optional<std::string> patient_id_column;   // data.patient_id: null = one patient per row
  std::string label_column;                       // data.label
  std::vector<std::string> classes;               // data.classes: raw label values in class-index order; empty = sorted unique values
  std::vector<std::string> numeric;               // data.numeric: ["*"] = every column not named elsewhere
  std::vector<std::string> categorical;           // data.categorical: one-hot encoded
  std::vector<std::string> drop;                  // data.drop: direct identifiers and unused columns
  std::string missing = "error";                  // data.missing: error | drop_row | impute
  std::string shard_dir;                          // data.shard_dir: output of galien shard, input of galien train
  int shards = 2;                                 // data.shards: shards per split
  double val_fraction = 0.15;                     // data.split.val
  double test_fraction = 0.15;                    // data.split.test
  std::uint64_t split_seed = 1234;                // data.split.seed
};

struct PrivacyConfig {
  std::string key_file;                           // privacy.key_file: 32-byte key, mode 0600
};

struct ModelConfig {
  std::string name = "mlp";                       // model.name: a name in the model registry
  std::vector<std::int64_t> hidden{64, 32};       // model.hidden: hidden layer widths
  double dropout = 0.0;                           // model.dropout: [0, 1)
  std::string activation = "relu";                // model.activation: relu | gelu | selu | tanh
};

struct OptimConfig {
  std::string name = "adam";                      // optim.name: adam | sgd
  double learning_rate = 1e-3;                    // optim.learning_rate: (0, 10]
  double momentum = 0.9;                          // optim.momentum: [0, 1), sgd only
  bool nesterov = false;                          // optim.nesterov: sgd only
  double weight_decay = 0.0;                      // optim.weight_decay: [0, 1]
};

struct TrainerConfig {
  int epochs = 10;                                // trainer.epochs: [1, 100000]
  int batch_size = 32;                            // trainer.batch_size: global batch over all ranks
  std::uint64_t seed = 0;                         // trainer.seed
  std::string output_dir = "runs";                // trainer.output_dir: parent of run directories
  std::string run_dir;                            // trainer.run_dir: empty = output_dir/<name>-<time>
  int threads = 0;                                // trainer.threads: intra-op threads per rank, 0 = cores / ranks on the node
  int log_every_steps = 0;                        // trainer.log_every_steps: 0 = once per epoch
};

struct LaunchConfig {
  int ranks = 1;                                  // launch.ranks: default for galien launch --ranks
};

struct Config {
  std::string name;                               // name: run name (default: config file stem)
  DataConfig data;
  PrivacyConfig privacy;
  ModelConfig model;
  OptimConfig optim;
  TrainerConfig trainer;
  LaunchConfig launch;

  std::string source_file;                        // the file given on the command line
  std::string resolved_yaml;                      // the merged, validated config with defaults filled in
  std::string sha256;                             // SHA-256 of resolved_yaml
};

// Loads `path` (following `extends:`), applies `overrides` ("trainer.epochs=5"), validates the
// whole tree against the schema and fills the typed fields. Throws UserError naming
// file:line:column (or the override) on any problem.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace galien
