// The typed, validated configuration of a galien run. Every key a user may write in YAML is a
// field here; core/config/schema.cpp lists each one with its type, default, range and help text,
// and the loader (loader.cpp) refuses anything else with file:line:column and a suggestion.
//
// Relative paths are kept as written and resolved against the working directory when used
// (galien launch and the ranks it starts share it), so the resolved config and its hash do not
// depend on where the checkout lives.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace galien {

struct DataConfig {
  std::string csv;                                // data.csv: the clinical table
  std::optional<std::string> patient_id_column;   // data.patient_id: null = one patient per row
  std::string label_column;                       // data.label: class (classification) or numeric target (regression); unset for survival
  std::string task = "classification";            // data.task: classification | survival | regression
  std::string time_column;                        // data.time: survival time, numeric >= 0 (survival)
  std::string event_column;                       // data.event: 1 = event, 0 = censored (survival)
  std::vector<std::string> event_values = {"1"};    // data.event_values: raw values that mean the event
  std::vector<std::string> censored_values = {"0"}; // data.censored_values: raw values that mean censored
  std::vector<std::string> transforms;            // data.transforms: ["bili=log", "y=clip:0:100"], before standardisation
  std::string test_csv;                           // data.test_csv: external test table, same columns; "" = none
  std::string test_patients = "shared";           // data.test_patients: shared | separate (IDs of the two tables)
  std::vector<std::string> classes;               // data.classes: raw label values in class-index order; empty = sorted unique values
  std::vector<std::string> numeric;               // data.numeric: ["*"] = every column not named elsewhere
  std::vector<std::string> categorical;           // data.categorical: one-hot encoded
  std::vector<std::string> drop;                  // data.drop: direct identifiers and unused columns
  std::vector<std::string> dates;                 // data.dates: YYYY-MM-DD, see privacy.dates
  std::vector<std::string> free_text;             // data.free_text: refused unless allowed
  std::string missing = "error";                  // data.missing: error | drop_row | impute
  std::string shard_dir;                          // data.shard_dir: output of galien shard, input of galien train
  int shards = 2;                                 // data.shards: shards per split
  double val_fraction = 0.15;                     // data.split.val
  double test_fraction = 0.15;                    // data.split.test
  std::uint64_t split_seed = 1234;                // data.split.seed
  // cv.*: K-fold cross-validation (YAML section `cv`, kept here because it chooses the split).
  int cv_folds = 0;                               // cv.folds: 0 = off, else K >= 2
  int cv_repeats = 1;                             // cv.repeats: repeated K-fold, >= 1
  int cv_fold = 0;                                // cv.fold: the fold that is the test split, [0, folds)
  int cv_repeat = 0;                              // cv.repeat: which repeat's fold assignment, [0, repeats)
  // data.images.*: imaging ingest (docs/imaging.md); format none = clinical table only.
  std::string image_format = "none";              // data.images.format: none | dicom | nifti | png | medmnist | idx
  std::string image_path;                         // data.images.path: DICOM tree, imagesTr/labelsTr dir, PNG dir, .npz file, idx dir
  std::string image_patient_map;                  // data.images.patient_map: CSV path,patient_id (DICOM); empty = PatientID tag
  // data.images.join_column: data.csv column naming each row's image (DICOM: a folder or file under
  // data.images.path; NIfTI: the case name), so a patient may have several rows, each a sample;
  // empty = one row per patient, joined by data.patient_id. Matched in memory, never written.
  std::string image_join_column;
  std::string image_labels_csv;                   // data.images.labels_csv: PNG labels table (ChestX-ray14 layout)
  std::string image_file_column = "Image Index";  // data.images.file_column
  std::string image_patient_column = "Patient ID";      // data.images.patient_column
  std::string image_labels_column = "Finding Labels";   // data.images.labels_column
  std::string image_label_separator = "|";        // data.images.label_separator: multi-label separator
  std::string image_none_label = "No Finding";    // data.images.none_label: the label meaning no class
  std::vector<std::int64_t> image_shape;          // data.images.shape: [H, W] or [D, H, W]; [] = as stored
  std::vector<double> image_spacing;              // data.images.spacing: mm per axis of shape; [] = resample to shape only
  int image_channels = 0;                         // data.images.channels: 0 = as stored
  std::string image_intensity = "raw";            // data.images.intensity: raw | window | minmax
  double image_window_center = 40.0;              // data.images.window_center
  double image_window_width = 400.0;              // data.images.window_width
  std::string image_dtype = "uint8";              // data.images.dtype: uint8 | float16
  int image_gzip_level = 0;                       // data.images.gzip: 0 = uncompressed chunks
};

struct PrivacyConfig {
  std::string key_file;                           // privacy.key_file: 32-byte key, mode 0600
  bool encrypt = false;                           // privacy.encrypt: AES-256-GCM shards
  std::string dates = "shift";                    // privacy.dates: shift | month | year
  int date_shift_days = 365;                      // privacy.date_shift_days: offsets in [-N, N]
  std::vector<std::string> allow_free_text;       // privacy.allow_free_text: columns
  std::optional<std::string> free_text_reason;    // privacy.free_text_reason: why they are allowed
  std::vector<std::string> quasi_identifiers;     // privacy.quasi_identifiers: gate
  int k_min = 5;                                  // privacy.k_min: smallest class allowed
  std::vector<std::string> generalise;            // privacy.generalise: ["age=bands:10", ...]
  std::optional<std::string> override_k_reason;   // privacy.override_k.reason
  std::string audit_log;                          // privacy.audit_log: "" = <shard_dir>/audit.jsonl
};

struct ModelConfig {
  std::string name = "mlp";                       // model.name: a name in the model registry
  std::vector<std::int64_t> hidden{64, 32};       // model.hidden: hidden layer widths
  double dropout = 0.0;                           // model.dropout: [0, 1)
  std::string activation = "relu";                // model.activation: relu | gelu | selu | tanh
  int depth = 18;                                 // model.depth: ResNet depth, 18 | 34
  bool small_input = false;                       // model.small_input: ResNet stem for 28x28, 64x64
  int levels = 0;                                 // model.levels: U-Net resolution levels; 0 = the model's default
  int base_channels = 0;                          // model.base_channels: 0 = the model's default
  std::string image_encoder = "auto";             // model.image_encoder: auto | resnet2d | resnet3d
};

struct OptimConfig {
  std::string name = "adam";                      // optim.name: adam | adamw | sgd
  double learning_rate = 1e-3;                    // optim.learning_rate: (0, 10]
  double momentum = 0.9;                          // optim.momentum: [0, 1), sgd only
  bool nesterov = false;                          // optim.nesterov: sgd only
  double weight_decay = 0.0;                      // optim.weight_decay: [0, 1]
  std::string schedule = "none";                  // optim.schedule: none | cosine | step | plateau
  int warmup_steps = 0;                           // optim.warmup_steps: linear warm-up from 0
  int step_epochs = 30;                           // optim.step_epochs: step schedule period
  double gamma = 0.1;                             // optim.gamma: step/plateau decay factor
  int plateau_patience = 5;                       // optim.plateau_patience: epochs without improvement
  double min_learning_rate = 0.0;                 // optim.min_learning_rate: cosine/plateau floor
  int linear_scaling_batch = 0;                   // optim.linear_scaling_batch: 0 = off, else lr *= batch_size / this
  double clip_grad_norm = 0.0;                    // optim.clip_grad_norm: 0 = off; global L2 norm over all ranks
  bool fused = true;                              // optim.fused: one update over a flat parameter buffer; false = LibTorch's optimiser
};

struct TrainerConfig {
  int epochs = 10;                                // trainer.epochs: [1, 100000]
  int batch_size = 32;                            // trainer.batch_size: global batch over all ranks
  std::uint64_t seed = 0;                         // trainer.seed
  std::string output_dir = "runs";                // trainer.output_dir: parent of run directories
  std::string run_dir;                            // trainer.run_dir: empty = output_dir/<name>-<time>
  int threads = 0;                                // trainer.threads: intra-op threads per rank, 0 = cores / ranks on the node
  int log_every_steps = 0;                        // trainer.log_every_steps: 0 = once per epoch
  std::string resume = "auto";                    // trainer.resume: auto | never | <checkpoint path>
  bool resume_ignore_mismatch = false;            // trainer.resume_ignore_mismatch: accept another config/data
  int checkpoint_every_steps = 0;                 // trainer.checkpoint_every_steps: 0 = end of each epoch
  int keep_checkpoints = 3;                       // trainer.keep_checkpoints: newest step checkpoints kept
  std::string monitor = "val/loss";               // trainer.monitor: metric for best.pt and early stopping
  std::string monitor_mode = "min";               // trainer.monitor_mode: min | max
  int early_stopping_patience = 0;                // trainer.early_stopping_patience: epochs; 0 = off
  std::string class_weights = "none";             // trainer.class_weights: none | balanced
  std::string loss = "auto";                      // trainer.loss: auto = the task's default (core/config/tasks.h)
  int gradient_accumulation = 1;                  // trainer.gradient_accumulation: micro-steps per optimiser step
  std::string gradient_sync = "bucketed";         // trainer.gradient_sync: bucketed | flat
  double bucket_mb = 4.0;                         // trainer.bucket_mb: gradient bucket size
  double collective_timeout_s = 600.0;            // trainer.collective_timeout_s: watchdog; 0 = off
  std::string device = "auto";                    // trainer.device: auto | cpu | cuda
  std::string precision = "fp32";                 // trainer.precision: fp32 | bf16 (forward under autocast)
  int prefetch_batches = 2;                       // trainer.prefetch_batches: batches prepared ahead per rank
  bool evaluate_train = false;                    // trainer.evaluate_train: final train-split metrics too (= train in eval_splits)
  std::vector<std::string> eval_splits{"val", "test"};  // trainer.eval_splits: splits evaluated (train, val, test)
  bool patient_metrics = false;                   // trainer.patient_metrics: classification metrics on each patient's mean probability too
  std::string shard_reader = "auto";              // trainer.shard_reader: auto | chunk_index | hdf5
  bool channels_last = false;                     // trainer.channels_last: NHWC convolution weights and images
  // Segmentation (trainers/tasks/segmentation.cpp, docs/training.md "Segmentation").
  std::vector<std::int64_t> patch_size;           // trainer.patch_size: [D, H, W] or [H, W]; [] = the stored volume
  double foreground_fraction = 1.0 / 3.0;         // trainer.foreground_fraction: patches centred on a foreground voxel
  bool patch_padding = true;                      // trainer.patch_padding: pad volumes smaller than the patch
  double inference_overlap = 0.5;                 // trainer.inference.overlap: sliding-window overlap, [0, 1)
  bool inference_gaussian = true;                 // trainer.inference.gaussian: Gaussian importance weighting
  bool inference_mirror = false;                  // trainer.inference.mirror: flip test-time augmentation
};

struct LaunchConfig {
  int ranks = 1;                                  // launch.ranks: default for galien launch --ranks
  // Slurm submission (galien launch --cluster; docs/clusters.md). Command-line flags win.
  std::string cluster;                            // launch.cluster: profile name or .yaml; "" = local mpirun
  int nodes = 1;                                  // launch.nodes
  int tasks_per_node = 0;                         // launch.tasks_per_node: 0 = one per GPU (CPU nodes: launch.ranks)
  int cpus_per_task = 0;                          // launch.cpus_per_task: 0 = node cores / tasks per node
  std::string time;                               // launch.time: Slurm time limit; "" = the profile's default
  std::string account;                            // launch.account: project; the profile adds its suffix
  std::string qos;                                // launch.qos: "" = chosen from launch.time
  std::string partition;                          // launch.partition: "" = the profile's
  std::vector<std::string> modules;               // launch.modules: [] = the profile's
  int signal_margin_s = 300;                      // launch.signal_margin_s: USR1 this long before the limit
  bool stage_shards = false;                      // launch.stage_shards: copy shards to the job's scratch
  int max_restarts = 20;                          // launch.max_restarts: requeues after a stop
};

// A hyper-parameter sweep: galien launch runs one training per point (a job array on Slurm).
struct SweepConfig {
  std::string mode = "grid";                      // sweep.mode: grid (every combination) | list (i-th values)
  std::vector<std::string> values;                // sweep.values: "key=[v1, v2]" per swept key
  int parallel = 0;                               // sweep.parallel: points running at once; 0 = all
};

// Training-time image augmentation (trainers/loop/augment.h); off by default.
struct AugmentConfig {
  bool hflip = false;                             // augment.hflip: random left-right flip
  bool vflip = false;                             // augment.vflip: random up-down flip
  bool rotate90 = false;                          // augment.rotate90: random quarter turns (square images)
  double intensity = 0.0;                         // augment.intensity: contrast/brightness jitter amplitude
  int crop_padding = 0;                           // augment.crop_padding: random shift up to N pixels (zero fill)
  bool dflip = false;                             // augment.dflip: random flip of the slice axis (volumes)
};

// The figure a reproduction config (configs/repro/) must reach; `galien reproduce` compares the
// run's summary metric with it (docs/REPRODUCTIONS.md).
struct PublishedConfig {
  std::string metric;                             // published.metric: e.g. test/accuracy
  double value = 0.0;                             // published.value
  double tolerance = 0.0;                         // published.tolerance
  std::string comparison = "within";              // published.comparison: within | at_least
  std::string protocol;                           // published.protocol
  std::string citation;                           // published.citation
  std::string where_read;                         // published.where_read
  std::string status = "confirmed";               // published.status: confirmed | secondary | unconfirmed | computed
  bool run_here = true;                           // published.run_here: false = data not available here
  std::string note;                               // published.note
};

struct Config {
  std::string name;                               // name: run name (default: config file stem)
  DataConfig data;
  PrivacyConfig privacy;
  ModelConfig model;
  OptimConfig optim;
  TrainerConfig trainer;
  LaunchConfig launch;
  SweepConfig sweep;
  AugmentConfig augment;
  PublishedConfig published;

  std::string source_file;                        // the file given on the command line
  std::string resolved_yaml;                      // the merged, validated config with defaults filled in
  std::string sha256;                             // SHA-256 of resolved_yaml

  // Where each value was written, by dotted path, list items as "sweep.values[0]":
  // "configs/x.yaml:12:5" or "command-line override 'trainer.epochs=5'". Keys left at their
  // default have none. For checks made after loading (sweep.values) to name the line.
  std::map<std::string, std::string> origins;
  std::string origin_of(const std::string& path) const;  // source_file when not written
};

// Loads `path` (following `extends:`), applies `overrides` ("trainer.epochs=5"), validates the
// whole tree against the schema and fills the typed fields. Throws UserError naming
// file:line:column (or the override) on any problem.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// load_config for a config that is not on disk: `text` is its content and `file_name` names it in
// messages. It touches no file, so `extends:` is refused (a base needs the file's folder). The
// entry point of tests and of the fuzz target for loader + schema + overrides.
Config load_config_text(const std::string& text, const std::string& file_name,
                        const std::vector<std::string>& overrides = {});

// Checks one KEY=VALUE override against the schema as load_config does, without a config;
// errors start with `origin` (load_config uses "command-line override 'KEY=VALUE'"). For
// overrides written elsewhere: each value of sweep.values.
void check_override(const std::string& text, const std::string& origin);

}  // namespace galien
