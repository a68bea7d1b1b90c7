#include "core/config/schema.h"

#include "core/config/tasks.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "core/yaml/scalars.h"

namespace galien {
namespace {

using yaml::at_least;
using yaml::closed;
using yaml::left_open;
using yaml::number_text;
using yaml::parse_integer;
using yaml::right_open;

// ---- Reading and writing values -------------------------------------------------------------

YAML::Node scalar(const std::string& text) { return YAML::Node(text); }

// How each C++ field type maps to YAML. decode() only sees values that passed check_value(), so
// a failure there is a schema bug (a range wider than the C++ type), not a user mistake.
template <class T>
struct Codec;

template <class T>
struct IntegerCodec {
  static constexpr FieldType type = FieldType::kInt;
  static T decode(const YAML::Node& node) {
    std::optional<T> value = parse_integer<T>(node.Scalar());
    GALIEN_CHECK(value, "validated integer '" << node.Scalar() << "' does not fit its field");
    return *value;
  }
  static YAML::Node encode(T value) { return scalar(std::to_string(value)); }
};
template <>
struct Codec<int> : IntegerCodec<int> {};
template <>
struct Codec<std::int64_t> : IntegerCodec<std::int64_t> {};
template <>
struct Codec<std::uint64_t> : IntegerCodec<std::uint64_t> {};

template <>
struct Codec<double> {
  static constexpr FieldType type = FieldType::kFloat;
  static double decode(const YAML::Node& node) { return *yaml::number_value(node); }
  static YAML::Node encode(double value) {
    std::string text = number_text(value);
    // "1.0" rather than "1", so the resolved config shows which keys are real numbers.
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return scalar(text);
  }
};

template <>
struct Codec<bool> {
  static constexpr FieldType type = FieldType::kBool;
  static bool decode(const YAML::Node& node) { return *yaml::bool_value(node); }
  static YAML::Node encode(bool value) { return scalar(value ? "true" : "false"); }
};

template <>
struct Codec<std::string> {
  static constexpr FieldType type = FieldType::kString;
  static std::string decode(const YAML::Node& node) { return node.Scalar(); }
  static YAML::Node encode(const std::string& value) { return scalar(value); }
};

template <>
struct Codec<std::optional<std::string>> {
  static constexpr FieldType type = FieldType::kOptionalString;
  static std::optional<std::string> decode(const YAML::Node& node) {
    if (node.IsNull()) return std::nullopt;
    return node.Scalar();
  }
  static YAML::Node encode(const std::optional<std::string>& value) {
    return value ? scalar(*value) : YAML::Node(YAML::NodeType::Null);
  }
};

template <class Item, FieldType kType>
struct ListCodec {
  static constexpr FieldType type = kType;
  static std::vector<Item> decode(const YAML::Node& node) {
    std::vector<Item> items;
    for (const YAML::Node& item : node) items.push_back(Codec<Item>::decode(item));
    return items;
  }
  static YAML::Node encode(const std::vector<Item>& items) {
    YAML::Node list(YAML::NodeType::Sequence);
    list.SetStyle(YAML::EmitterStyle::Flow);  // lists on one line: [64, 32]
    for (const Item& item : items) list.push_back(Codec<Item>::encode(item));
    return list;
  }
};
template <>
struct Codec<std::vector<std::string>> : ListCodec<std::string, FieldType::kStringList> {};
template <>
struct Codec<std::vector<std::int64_t>> : ListCodec<std::int64_t, FieldType::kIntList> {};
template <>
struct Codec<std::vector<double>> : ListCodec<double, FieldType::kFloatList> {};

// ---- Building the table ---------------------------------------------------------------------

// The C++ side of one key: its YAML type (from the member's C++ type) and how to get and set it.
struct Binding {
  FieldType type;
  std::function<void(Config&, const YAML::Node&)> read;
  std::function<YAML::Node(const Config&)> write;
};

// Named `member`, not `bind`: argument-dependent lookup would also find std::bind.
template <class T>
Binding member(T Config::*key) {
  return {Codec<T>::type,
          [key](Config& config, const YAML::Node& node) { config.*key = Codec<T>::decode(node); },
          [key](const Config& config) { return Codec<T>::encode(config.*key); }};
}

template <class Section, class T>
Binding member(Section Config::*section, T Section::*key) {
  return {Codec<T>::type,
          [section, key](Config& config, const YAML::Node& node) {
            (config.*section).*key = Codec<T>::decode(node);
          },
          [section, key](const Config& config) {
            return Codec<T>::encode((config.*section).*key);
          }};
}

struct Choices {
  std::vector<std::string> values;
};
Choices one_of(std::vector<std::string> values) { return {std::move(values)}; }

// trainer.loss: auto or a loss of some task; which task accepts which is checked on the merged
// config (loader.cpp), since data.task may come from another file.
Choices loss_choices() {
  std::vector<std::string> values{kAutoLoss};
  for (const std::string& loss : catalog_loss_names()) values.push_back(loss);
  return {values};
}

FieldSpec field(std::string path, Binding binding, Range range, std::string help) {
  return {std::move(path),         binding.type,           range, {}, std::move(help),
          std::move(binding.read), std::move(binding.write)};
}

FieldSpec field(std::string path, Binding binding, std::string help) {
  return field(std::move(path), std::move(binding), Range{}, std::move(help));
}

FieldSpec field(std::string path, Binding binding, Choices choices, std::string help) {
  GALIEN_CHECK(binding.type == FieldType::kString, "enum key " << path << " needs a string");
  FieldSpec spec = field(std::move(path), std::move(binding), Range{}, std::move(help));
  spec.type = FieldType::kEnum;
  spec.choices = std::move(choices.values);
  return spec;
}

}  // namespace

const std::vector<FieldSpec>& config_schema() {
  static const std::vector<FieldSpec> fields = {
      field("name", member(&Config::name), "run name; empty = the config file's stem"),

      field("data.csv", member(&Config::data, &DataConfig::csv), "clinical table (CSV) to shard"),
      field("data.patient_id", member(&Config::data, &DataConfig::patient_id_column),
            "patient column, keeps a patient's rows in one split; null = one patient per row"),
      field("data.label", member(&Config::data, &DataConfig::label_column),
            "label column (classification) or numeric target column (regression); unset for "
            "survival"),
      field("data.task", member(&Config::data, &DataConfig::task),
            one_of(task_names()),
            "what the shards hold: class labels, survival time + event, or a numeric target"),
      field("data.time", member(&Config::data, &DataConfig::time_column),
            "survival: time column (a number >= 0, e.g. days), written to /time"),
      field("data.event", member(&Config::data, &DataConfig::event_column),
            "survival: event column, 1 = event observed, 0 = censored; written to /event"),
      field("data.event_values", member(&Config::data, &DataConfig::event_values),
            "survival: raw values of data.event that mean the event, e.g. [2] for R's "
            "1 = censored, 2 = dead; any value in neither list stops galien shard"),
      field("data.censored_values", member(&Config::data, &DataConfig::censored_values),
            "survival: raw values of data.event that mean censored, e.g. [0, 1] when 1 is a "
            "competing outcome treated as censoring"),
      field("data.transforms", member(&Config::data, &DataConfig::transforms),
            "numeric feature transforms before standardisation: COLUMN=log | log1p | sqrt | "
            "clip:LOW:HIGH, e.g. [bili=log, age=log1p]"),
      field("data.test_csv", member(&Config::data, &DataConfig::test_csv),
            "external test table with the same columns: all its rows form the test split "
            "(needs data.split.test: 0); empty = none"),
      field("data.test_patients", member(&Config::data, &DataConfig::test_patients),
            one_of({"shared", "separate"}),
            "shared: one patient-ID space (an ID in both tables is an error); separate: "
            "different patients whose IDs may coincide (test IDs pseudonymised as 'test:<id>')"),
      field("data.classes", member(&Config::data, &DataConfig::classes),
            "raw label values in class-index order; [] = sorted unique values"),
      field("data.numeric", member(&Config::data, &DataConfig::numeric),
            "numeric feature columns; [\"*\"] = every column not named elsewhere"),
      field("data.categorical", member(&Config::data, &DataConfig::categorical),
            "categorical feature columns, one-hot encoded"),
      field("data.drop", member(&Config::data, &DataConfig::drop),
            "columns never used: direct identifiers and unused columns"),
      field("data.dates", member(&Config::data, &DataConfig::dates),
            "ISO date columns (YYYY-MM-DD): shifted or generalised per privacy.dates"),
      field("data.free_text", member(&Config::data, &DataConfig::free_text),
            "free-text columns: refused unless listed in privacy.allow_free_text"),
      field("data.missing", member(&Config::data, &DataConfig::missing),
            one_of({"error", "drop_row", "impute"}), "what to do with an empty feature cell"),
      field("data.shard_dir", member(&Config::data, &DataConfig::shard_dir),
            "written by galien shard, read by galien train"),
      field("data.shards", member(&Config::data, &DataConfig::shards), closed(1, 1000000),
            "shards per split"),
      field("data.split.val", member(&Config::data, &DataConfig::val_fraction), closed(0, 0.9),
            "fraction of patients in the validation split"),
      field("data.split.test", member(&Config::data, &DataConfig::test_fraction), closed(0, 0.9),
            "fraction of patients in the test split"),
      field("data.split.seed", member(&Config::data, &DataConfig::split_seed), at_least(0),
            "seed of the patient-level split"),
      field("data.images.format", member(&Config::data, &DataConfig::image_format),
            one_of({"none", "dicom", "nifti", "png", "medmnist", "idx"}),
            "image source; none = clinical table only (docs/imaging.md)"),
      field("data.images.path", member(&Config::data, &DataConfig::image_path),
            "DICOM tree, imagesTr/labelsTr folder, PNG folder, .npz file or idx folder"),
      field("data.images.patient_map", member(&Config::data, &DataConfig::image_patient_map),
            "DICOM: CSV with columns path,patient_id (folders under data.images.path); "
            "empty = the PatientID attribute"),
      field("data.images.join_column", member(&Config::data, &DataConfig::image_join_column),
            "DICOM, NIfTI with data.csv: column naming each row's image (a folder or file under "
            "data.images.path; a NIfTI case name); rows are samples, data.patient_id their "
            "patient; empty = one row per patient"),
      field("data.images.labels_csv", member(&Config::data, &DataConfig::image_labels_csv),
            "PNG: table with one row per image (ChestX-ray14 layout)"),
      field("data.images.file_column", member(&Config::data, &DataConfig::image_file_column),
            "PNG: labels_csv column holding the image file name"),
      field("data.images.patient_column",
            member(&Config::data, &DataConfig::image_patient_column),
            "PNG: labels_csv column holding the patient ID (pseudonymised at once)"),
      field("data.images.labels_column", member(&Config::data, &DataConfig::image_labels_column),
            "PNG: labels_csv column holding the labels (multi-label)"),
      field("data.images.label_separator",
            member(&Config::data, &DataConfig::image_label_separator),
            "PNG: separator of the labels in labels_column"),
      field("data.images.none_label", member(&Config::data, &DataConfig::image_none_label),
            "PNG: the label that means no class is present (all targets 0)"),
      field("data.images.shape", member(&Config::data, &DataConfig::image_shape),
            closed(1, 100000), "[H, W] or [D, H, W] of every stored image; [] = as stored "
            "(segmentation: cases of different sizes padded to the largest, /extent)"),
      field("data.images.spacing", member(&Config::data, &DataConfig::image_spacing),
            left_open(0, 1000), "mm per axis of shape: resample to it, then crop/pad to shape "
            "(segmentation without shape: each case keeps its own size, padded; docs/imaging.md)"),
      field("data.images.channels", member(&Config::data, &DataConfig::image_channels),
            closed(0, 4), "channels of every stored image (PNG: 1 gray, 3 RGB); 0 = as stored"),
      field("data.images.intensity", member(&Config::data, &DataConfig::image_intensity),
            one_of({"raw", "window", "minmax"}),
            "raw values (CT in HU), window_center/width to [0, 1], or per-image min-max"),
      field("data.images.window_center",
            member(&Config::data, &DataConfig::image_window_center),
            "window centre (HU for CT) when intensity is window"),
      field("data.images.window_width", member(&Config::data, &DataConfig::image_window_width),
            left_open(0, 1e9), "window width when intensity is window"),
      field("data.images.dtype", member(&Config::data, &DataConfig::image_dtype),
            one_of({"uint8", "float16"}), "stored pixel type; uint8 scales [0, 1] to 0-255"),
      field("data.images.gzip", member(&Config::data, &DataConfig::image_gzip_level),
            closed(0, 9), "gzip level of the per-sample image chunks; 0 = uncompressed"),

      field("cv.folds", member(&Config::data, &DataConfig::cv_folds), closed(0, 1000),
            "K-fold cross-validation: 0 = off, else K >= 2 folds by patient, stratified"),
      field("cv.repeats", member(&Config::data, &DataConfig::cv_repeats), closed(1, 1000),
            "repeated K-fold: each repeat assigns the folds anew"),
      field("cv.fold", member(&Config::data, &DataConfig::cv_fold), closed(0, 999),
            "the fold that forms the test split, in [0, cv.folds)"),
      field("cv.repeat", member(&Config::data, &DataConfig::cv_repeat), closed(0, 999),
            "the repeat whose fold assignment is used, in [0, cv.repeats)"),

      field("privacy.key_file", member(&Config::privacy, &PrivacyConfig::key_file),
            "32-byte pseudonymisation key, mode 0600"),
      field("privacy.encrypt", member(&Config::privacy, &PrivacyConfig::encrypt),
            "write shards as AES-256-GCM containers, decrypted only in each rank's memory"),
      field("privacy.dates", member(&Config::privacy, &PrivacyConfig::dates),
            one_of({"shift", "month", "year"}),
            "data.dates: shift per patient (keyed), or generalise to month or year"),
      field("privacy.date_shift_days", member(&Config::privacy, &PrivacyConfig::date_shift_days),
            closed(1, 36500), "date shift offsets are uniform in [-N, N] days"),
      field("privacy.allow_free_text", member(&Config::privacy, &PrivacyConfig::allow_free_text),
            "free-text columns allowed into the shards (needs privacy.free_text_reason)"),
      field("privacy.free_text_reason",
            member(&Config::privacy, &PrivacyConfig::free_text_reason),
            "written reason for privacy.allow_free_text, recorded in privacy_report.json"),
      field("privacy.quasi_identifiers",
            member(&Config::privacy, &PrivacyConfig::quasi_identifiers),
            "columns an attacker may know (age, sex, postcode, ...): the k-anonymity gate"),
      field("privacy.k_min", member(&Config::privacy, &PrivacyConfig::k_min), closed(1, 1000000),
            "smallest equivalence class size allowed on the quasi-identifiers"),
      field("privacy.generalise", member(&Config::privacy, &PrivacyConfig::generalise),
            "release generalisations: [age=bands:10, postcode=digits:2, admission_date=month]"),
      field("privacy.override_k.reason",
            member(&Config::privacy, &PrivacyConfig::override_k_reason),
            "written reason to write shards although k < privacy.k_min"),
      field("privacy.audit_log", member(&Config::privacy, &PrivacyConfig::audit_log),
            "hash-chained audit log; empty = <data.shard_dir>/audit.jsonl"),

      field("model.name", member(&Config::model, &ModelConfig::name),
            "a name in the model registry"),
      field("model.hidden", member(&Config::model, &ModelConfig::hidden), closed(1, 1000000),
            "hidden layer widths"),
      field("model.dropout", member(&Config::model, &ModelConfig::dropout), right_open(0, 1),
            "dropout probability after each hidden layer"),
      field("model.activation", member(&Config::model, &ModelConfig::activation),
            one_of({"relu", "gelu", "selu", "tanh"}), "activation after each hidden layer"),
      field("model.depth", member(&Config::model, &ModelConfig::depth), closed(18, 101),
            "ResNet depth (resnet2d, resnet3d, fusion): 18, 34, 50 or 101"),
      field("model.small_input", member(&Config::model, &ModelConfig::small_input),
            "ResNet stem for small images (MedMNIST 28x28, 64x64): 3x3 conv, stride 1, "
            "no max-pool"),
      field("model.levels", member(&Config::model, &ModelConfig::levels), closed(0, 8),
            "U-Net resolution levels (unet2d, unet3d; each halves the size); 0 = 4. Patch sizes "
            "must divide by 2^(levels - 1)"),
      field("model.base_channels", member(&Config::model, &ModelConfig::base_channels),
            closed(0, 4096), "channels of the first conv stage; 0 = the model's default (ResNet "
            "64, U-Net 32)"),
      field("model.image_encoder", member(&Config::model, &ModelConfig::image_encoder),
            one_of({"auto", "resnet2d", "resnet3d"}),
            "image branch of the fusion model; auto = resnet3d for volumes, resnet2d otherwise"),

      field("optim.name", member(&Config::optim, &OptimConfig::name),
            one_of({"adam", "adamw", "sgd"}), "optimizer"),
      field("optim.learning_rate", member(&Config::optim, &OptimConfig::learning_rate),
            left_open(0, 10), "step size"),
      field("optim.momentum", member(&Config::optim, &OptimConfig::momentum), right_open(0, 1),
            "momentum, sgd only"),
      field("optim.nesterov", member(&Config::optim, &OptimConfig::nesterov),
            "Nesterov momentum, sgd with momentum > 0 only"),
      field("optim.weight_decay", member(&Config::optim, &OptimConfig::weight_decay), closed(0, 1),
            "L2 weight decay (decoupled for adamw)"),
      field("optim.schedule", member(&Config::optim, &OptimConfig::schedule),
            one_of({"none", "cosine", "step", "plateau"}), "learning-rate schedule after warm-up"),
      field("optim.warmup_steps", member(&Config::optim, &OptimConfig::warmup_steps),
            closed(0, 100000000), "linear warm-up steps from 0 to the learning rate"),
      field("optim.step_epochs", member(&Config::optim, &OptimConfig::step_epochs),
            closed(1, 100000), "step schedule: multiply by gamma every N epochs"),
      field("optim.gamma", member(&Config::optim, &OptimConfig::gamma), left_open(0, 1),
            "decay factor of the step and plateau schedules"),
      field("optim.plateau_patience", member(&Config::optim, &OptimConfig::plateau_patience),
            closed(0, 100000), "plateau: epochs without improvement of trainer.monitor"),
      field("optim.min_learning_rate", member(&Config::optim, &OptimConfig::min_learning_rate),
            closed(0, 10), "floor of the cosine and plateau schedules"),
      field("optim.linear_scaling_batch",
            member(&Config::optim, &OptimConfig::linear_scaling_batch), closed(0, 100000000),
            "linear scaling rule: lr *= batch_size / this (0 = off)"),
      field("optim.fused", member(&Config::optim, &OptimConfig::fused),
            "parameters as views of one flat buffer, updated in one pass (same numerics as "
            "LibTorch's Adam/AdamW/SGD); false = LibTorch's per-parameter optimiser"),
      field("optim.clip_grad_norm", member(&Config::optim, &OptimConfig::clip_grad_norm),
            closed(0, 1e9), "clip the global gradient L2 norm (0 = off)"),

      field("trainer.epochs", member(&Config::trainer, &TrainerConfig::epochs), closed(1, 100000),
            "passes over the training split"),
      field("trainer.batch_size", member(&Config::trainer, &TrainerConfig::batch_size),
            closed(1, 10000000), "global batch size over all ranks"),
      field("trainer.seed", member(&Config::trainer, &TrainerConfig::seed), at_least(0),
            "seed of initialisation, shuffling and dropout"),
      field("trainer.output_dir", member(&Config::trainer, &TrainerConfig::output_dir),
            "parent of the run directories"),
      field("trainer.run_dir", member(&Config::trainer, &TrainerConfig::run_dir),
            "run directory; empty = output_dir/<name>-<time>"),
      field("trainer.threads", member(&Config::trainer, &TrainerConfig::threads), closed(0, 1024),
            "intra-op threads per rank; 0 = cores / ranks on the node"),
      field("trainer.log_every_steps", member(&Config::trainer, &TrainerConfig::log_every_steps),
            closed(0, 1000000000), "log every N steps; 0 = once per epoch"),
      field("trainer.resume", member(&Config::trainer, &TrainerConfig::resume),
            "auto (run_dir/checkpoints/last.pt if present), never, or a checkpoint path"),
      field("trainer.resume_ignore_mismatch",
            member(&Config::trainer, &TrainerConfig::resume_ignore_mismatch),
            "resume even if the checkpoint came from another config or dataset"),
      field("trainer.checkpoint_every_steps",
            member(&Config::trainer, &TrainerConfig::checkpoint_every_steps), closed(0, 1000000000),
            "checkpoint every N optimiser steps; 0 = at the end of each epoch"),
      field("trainer.keep_checkpoints", member(&Config::trainer, &TrainerConfig::keep_checkpoints),
            closed(1, 1000000), "newest step checkpoints kept (plus best.pt)"),
      field("trainer.monitor", member(&Config::trainer, &TrainerConfig::monitor),
            "metric for best.pt, early stopping and plateau, e.g. val/loss, val/auc"),
      field("trainer.monitor_mode", member(&Config::trainer, &TrainerConfig::monitor_mode),
            one_of({"min", "max"}), "whether the monitored metric improves downwards or upwards"),
      field("trainer.early_stopping_patience",
            member(&Config::trainer, &TrainerConfig::early_stopping_patience), closed(0, 100000),
            "stop after N epochs without improvement (0 = off)"),
      field("trainer.class_weights", member(&Config::trainer, &TrainerConfig::class_weights),
            one_of({"none", "balanced"}), "balanced: weight classes by n / (classes * count)"),
      field("trainer.loss", member(&Config::trainer, &TrainerConfig::loss), loss_choices(),
            "training (and evaluation) loss; auto = the task's default. " +
                describe_task_losses()),
      field("trainer.gradient_accumulation",
            member(&Config::trainer, &TrainerConfig::gradient_accumulation), closed(1, 100000),
            "micro-batches per optimiser step; gradients are synchronised once per step"),
      field("trainer.gradient_sync", member(&Config::trainer, &TrainerConfig::gradient_sync),
            one_of({"bucketed", "flat"}),
            "bucketed: allreduce buckets during backward; flat: one allreduce after it"),
      field("trainer.bucket_mb", member(&Config::trainer, &TrainerConfig::bucket_mb),
            left_open(0, 4096), "gradient bucket size in MB"),
      field("trainer.collective_timeout_s",
            member(&Config::trainer, &TrainerConfig::collective_timeout_s), closed(0, 1e7),
            "abort the job when a collective waits longer (0 = off)"),
      field("trainer.device", member(&Config::trainer, &TrainerConfig::device),
            one_of({"auto", "cpu", "cuda"}), "auto: the node-local GPU when CUDA is available"),
      field("trainer.precision", member(&Config::trainer, &TrainerConfig::precision),
            one_of({"fp32", "bf16"}),
            "bf16: forward pass under bfloat16 autocast; parameters, gradients and their "
            "reduction stay fp32"),
      field("trainer.prefetch_batches", member(&Config::trainer, &TrainerConfig::prefetch_batches),
            closed(0, 1024), "batches a background thread prepares ahead (0 = none)"),
      field("trainer.evaluate_train", member(&Config::trainer, &TrainerConfig::evaluate_train),
            "also evaluate the final model on the train split (train/* metrics, "
            "predictions-train.csv): in-sample figures such as OLS R^2"),
      field("trainer.eval_splits", member(&Config::trainer, &TrainerConfig::eval_splits),
            "splits evaluated with the final (and best) model: any of train, val, test; train "
            "gives in-sample train/* metrics (the apparent C or AUC of classical papers); val "
            "is also evaluated every epoch when listed"),
      field("trainer.patient_metrics", member(&Config::trainer, &TrainerConfig::patient_metrics),
            "classification with several samples per patient: also report metrics on each "
            "patient's mean probability (<split>/patient/<metric>)"),
      field("trainer.shard_reader", member(&Config::trainer, &TrainerConfig::shard_reader),
            one_of({"auto", "chunk_index", "hdf5"}),
            "chunk_index: large sequential reads through the shard's chunk index (format 1.4+); "
            "hdf5: one HDF5 read per sample; auto: chunk_index when the shard has one"),
      field("trainer.channels_last", member(&Config::trainer, &TrainerConfig::channels_last),
            "2-D convolution weights and images in channels-last (NHWC) memory order: faster "
            "convolutions on GPUs"),
      field("trainer.patch_size", member(&Config::trainer, &TrainerConfig::patch_size),
            closed(1, 100000), "segmentation: training patch [D, H, W] (volumes) or [H, W] (2D "
            "images, or slices of volumes for unet2d); [] = the whole stored volume"),
      field("trainer.foreground_fraction",
            member(&Config::trainer, &TrainerConfig::foreground_fraction), closed(0, 1),
            "segmentation: share of patches centred on a random foreground voxel of a random "
            "class present (nnU-Net: 1/3); the rest are placed uniformly"),
      field("trainer.patch_padding", member(&Config::trainer, &TrainerConfig::patch_padding),
            "segmentation: pad a volume smaller than the patch (image 0, mask background); "
            "false = such a volume is an error"),
      field("trainer.inference.overlap",
            member(&Config::trainer, &TrainerConfig::inference_overlap), right_open(0, 1),
            "segmentation evaluation and predict: overlap of sliding windows (0.5 = half a patch)"),
      field("trainer.inference.gaussian",
            member(&Config::trainer, &TrainerConfig::inference_gaussian),
            "segmentation: weight window outputs by a Gaussian centred on the window "
            "(sigma = 1/8 of the patch, as nnU-Net); false = uniform"),
      field("trainer.inference.mirror", member(&Config::trainer, &TrainerConfig::inference_mirror),
            "segmentation: average the outputs of the window and its flips along every axis "
            "(test-time augmentation; 2^axes forward passes per window)"),

      field("launch.ranks", member(&Config::launch, &LaunchConfig::ranks), closed(1, 100000),
            "default for galien launch --ranks"),
      field("launch.cluster", member(&Config::launch, &LaunchConfig::cluster),
            "cluster profile (slurm/<name>.yaml or a path); empty = local mpirun"),
      field("launch.nodes", member(&Config::launch, &LaunchConfig::nodes), closed(1, 100000),
            "nodes of a Slurm job"),
      field("launch.tasks_per_node", member(&Config::launch, &LaunchConfig::tasks_per_node),
            closed(0, 1024), "ranks per node; 0 = one per GPU (CPU-only nodes: launch.ranks)"),
      field("launch.cpus_per_task", member(&Config::launch, &LaunchConfig::cpus_per_task),
            closed(0, 4096), "cores per rank; 0 = the node's cores / ranks per node"),
      field("launch.time", member(&Config::launch, &LaunchConfig::time),
            "Slurm time limit (\"20:00:00\", \"1-12:00:00\"); empty = the profile's default"),
      field("launch.account", member(&Config::launch, &LaunchConfig::account),
            "project to charge; the profile adds its suffix (@h100)"),
      field("launch.qos", member(&Config::launch, &LaunchConfig::qos),
            "QoS; empty = the shortest one whose limit fits launch.time"),
      field("launch.partition", member(&Config::launch, &LaunchConfig::partition),
            "partition; empty = the profile's"),
      field("launch.modules", member(&Config::launch, &LaunchConfig::modules),
            "modules the job loads; [] = the profile's"),
      field("launch.signal_margin_s", member(&Config::launch, &LaunchConfig::signal_margin_s),
            closed(10, 86400), "seconds before the time limit at which training checkpoints"),
      field("launch.stage_shards", member(&Config::launch, &LaunchConfig::stage_shards),
            "copy the shards to the job's scratch before training"),
      field("launch.max_restarts", member(&Config::launch, &LaunchConfig::max_restarts),
            closed(0, 1000), "requeues of a job that stopped at a checkpoint"),

      field("sweep.mode", member(&Config::sweep, &SweepConfig::mode), one_of({"grid", "list"}),
            "grid: every combination; list: point i takes the i-th value of every key"),
      field("sweep.values", member(&Config::sweep, &SweepConfig::values),
            "swept keys, each \"key=[value, ...]\"; [] = no sweep"),
      field("sweep.parallel", member(&Config::sweep, &SweepConfig::parallel), closed(0, 100000),
            "sweep points running at once; 0 = no limit"),

      field("augment.hflip", member(&Config::augment, &AugmentConfig::hflip),
            "training images: random left-right flip (half of the samples)"),
      field("augment.vflip", member(&Config::augment, &AugmentConfig::vflip),
            "training images: random up-down flip (half of the samples)"),
      field("augment.rotate90", member(&Config::augment, &AugmentConfig::rotate90),
            "training images: random quarter turns (0, 90, 180, 270 degrees; square images)"),
      field("augment.intensity", member(&Config::augment, &AugmentConfig::intensity),
            closed(0, 1), "training images: x * (1 + s u) + s v with u, v uniform in [-1, 1] "
            "(contrast and brightness jitter; 0 = off)"),
      field("augment.crop_padding", member(&Config::augment, &AugmentConfig::crop_padding),
            closed(0, 1024), "training images: random shift by up to N pixels, zero-filled "
            "(a crop of the padded image)"),
      field("augment.dflip", member(&Config::augment, &AugmentConfig::dflip),
            "training volumes: random flip of the slice axis (D); segmentation flips the mask "
            "with the image"),
      field("published.metric", member(&Config::published, &PublishedConfig::metric),
            "the summary metric compared, e.g. test/accuracy, test/c_index, train/r2"),
      field("published.value", member(&Config::published, &PublishedConfig::value),
            "the published figure, in the metric's unit (accuracy 0.975, not 97.5)"),
      field("published.tolerance", member(&Config::published, &PublishedConfig::tolerance),
            at_least(0), "within: |achieved - value| <= tolerance passes"),
      field("published.comparison", member(&Config::published, &PublishedConfig::comparison),
            one_of({"within", "at_least"}),
            "within: |achieved - value| <= tolerance; at_least: achieved >= value - tolerance"),
      field("published.protocol", member(&Config::published, &PublishedConfig::protocol),
            "how the paper measured it (split, CV, in-sample), when it differs from this run's"),
      field("published.citation", member(&Config::published, &PublishedConfig::citation),
            "paper, table or page"),
      field("published.where_read", member(&Config::published, &PublishedConfig::where_read),
            "where the number was read (the paper itself, or a copy that quotes it)"),
      field("published.status", member(&Config::published, &PublishedConfig::status),
            one_of({"confirmed", "secondary", "unconfirmed", "computed"}),
            "confirmed: read in the paper; secondary: quoted by a third party; computed: not a "
            "paper figure (e.g. R on the same files)"),
      field("published.run_here", member(&Config::published, &PublishedConfig::run_here),
            "false: the data cannot be obtained here; galien reproduce says so and stops"),
      field("published.note", member(&Config::published, &PublishedConfig::note),
            "caveats printed with the result"),
  };
  return fields;
}

const FieldSpec* find_field(const std::string& path) {
  for (const FieldSpec& field : config_schema())
    if (field.path == path) return &field;
  return nullptr;
}

bool is_section(const std::string& path) {
  for (const FieldSpec& field : config_schema())
    if (field.path.size() > path.size() && field.path.compare(0, path.size() + 1, path + ".") == 0)
      return true;
  return false;
}

std::vector<std::string> section_keys(const std::string& section) {
  const std::string prefix = section.empty() ? "" : section + ".";
  std::vector<std::string> keys;
  for (const FieldSpec& field : config_schema()) {
    if (field.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string key = field.path.substr(prefix.size(), field.path.find('.', prefix.size()) -
                                                           prefix.size());
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

std::string expected_value(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::kInt: return yaml::expected_integer(field.range);
    case FieldType::kFloat: return yaml::expected_number(field.range);
    case FieldType::kBool: return "true or false";
    case FieldType::kString: return "a string";
    case FieldType::kOptionalString: return "a string or null";
    case FieldType::kStringList: return "a list of strings";
    case FieldType::kIntList: return "a list of integers" + yaml::range_text(field.range);
    case FieldType::kFloatList: return "a list of numbers" + yaml::range_text(field.range);
    case FieldType::kEnum: return yaml::expected_one_of(field.choices);
  }
  return "";
}

void check_value(const FieldSpec& field, const yaml::Node& value) {
  switch (field.type) {
    case FieldType::kInt:
      // Non-negative ranges read as uint64, so that any 64-bit seed is accepted.
      if (field.range.min && field.range.min->value >= 0)
        value.as_int<std::uint64_t>(field.range);
      else
        value.as_int<std::int64_t>(field.range);
      return;
    case FieldType::kFloat: value.as_double(field.range); return;
    case FieldType::kBool: value.as_bool(); return;
    case FieldType::kString: value.as_string(); return;
    case FieldType::kOptionalString: value.as_optional_string(); return;
    case FieldType::kStringList: value.as_strings(); return;
    case FieldType::kIntList: value.as_ints(field.range); return;
    case FieldType::kFloatList: value.as_doubles(field.range); return;
    case FieldType::kEnum: value.as_enum(field.choices); return;
  }
}

std::string describe_schema() {
  const Config defaults;
  std::ostringstream out;
  for (const FieldSpec& field : config_schema()) {
    YAML::Emitter value;
    value.SetNullFormat(YAML::LowerNull);
    value << field.write(defaults);
    out << field.path << ": " << expected_value(field) << ", default " << value.c_str() << "\n"
        << "    " << field.help << "\n";
  }
  return out.str();
}

}  // namespace galien
