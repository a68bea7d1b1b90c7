#include "datasets/imaging/image_shard_source.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "datasets/csv.h"
#include "datasets/imaging/image_samples.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/image_transform.h"
#include "datasets/imaging/png_clinical.h"
#include "datasets/imaging/segmentation_cases.h"
#include "datasets/privacy_step.h"
#include "datasets/table_source.h"
#include "datasets/tabular.h"
#include "privacy/policy.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// The clinical table, when data.csv is set (one row per patient), or the PNG labels table (one
// row per image, `per_image`): the same policy, encoding and pseudonyms as the tabular pipeline.
struct Clinical {
  std::optional<EncodedTable> table;  // none: no clinical features
  std::vector<std::string> pseudonyms;
  std::string sha256;
  bool per_image = false;
  std::string file_name;                     // for the privacy report
  std::vector<std::string> dropped_columns;  // data.drop, for the privacy report
};

// The config the policy sees: for PNG, the labels table's roles (png_clinical.h).
Config policy_config(const Config& config) {
  Config effective = config;
  if (config.data.image_format == "png") effective.data = png_table_config(config.data);
  return effective;
}

Clinical read_clinical(const Config& config, PseudonymisationPolicy& policy,
                       const Pseudonymizer& pseudonymize) {
  Clinical clinical;
  if (config.data.csv.empty()) return clinical;
  ClinicalTable read = read_clinical_table(config, policy, pseudonymize);
  clinical.table = std::move(read.table);
  clinical.pseudonyms = std::move(read.pseudonyms);
  clinical.sha256 = std::move(read.sha256);
  clinical.file_name = fs::path(config.data.csv).filename().string();
  clinical.dropped_columns = clinical.table->dropped_columns;
  return clinical;
}

// PNG: the labels table's other columns, through the policy and the risk gate like any clinical
// table, and encoded when data.* names feature columns; otherwise each must be in data.drop.
Clinical read_labels_table(const Config& config, PseudonymisationPolicy& policy,
                           const Pseudonymizer& pseudonymize, ImageSource& source) {
  GALIEN_CHECK(source.table.has_value(), "the PNG source keeps its labels table");
  const CsvTable labels = std::move(*source.table);
  source.table.reset();
  CsvTable view = png_table_view(labels, config.data);  // checks data.* first
  for (const PolicyColumn& column : policy.columns()) {
    if (column.name == config.data.image_file_column ||
        column.name == config.data.image_labels_column) {
      GALIEN_USER_ERROR(column.key << " names '" << column.name << "', a column the PNG source "
                                   << "reads itself (data.images.file_column / labels_column): "
                                   << "remove it from " << column.key);
    }
  }
  const DataConfig data = png_table_config(config.data);
  view = apply_privacy_policy(policy, std::move(view), data, pseudonymize);
  Clinical clinical;
  clinical.per_image = true;
  clinical.file_name = base_name(config.data.image_labels_csv);
  if (!png_has_features(config.data)) {
    check_png_columns_dropped(labels, config.data);
    std::vector<std::int64_t> lines;
    for (const CsvRow& row : view.rows) lines.push_back(row.line);
    policy.gate(lines, config.data.shard_dir);
    clinical.dropped_columns = config.data.drop;
    return clinical;
  }
  clinical.table = encode_table(view, data);
  policy.gate(clinical.table->lines, config.data.shard_dir);
  clinical.table->patient_keys.clear();  // the images' pseudonyms are the same: join by line
  clinical.dropped_columns = clinical.table->dropped_columns;
  return clinical;
}

// Train-only standardisation over the table rows that reached the train split.
void standardise(Clinical& clinical, const ImageSamples& samples, const SplitPart& train) {
  if (!clinical.table) return;
  std::set<std::int64_t> rows;
  for (std::int64_t s : train.rows()) rows.insert(samples.rows[static_cast<std::size_t>(s)]);
  standardise_features(*clinical.table, std::vector<std::int64_t>(rows.begin(), rows.end()));
}

// data.task: segmentation: what the writer checks and counts per case.
struct Segmentation {
  std::vector<std::string> classes;                        // data.classes
  std::vector<std::array<std::int64_t, 3>> stored;         // own size: per sample; else empty
  std::map<std::string, std::vector<std::int64_t>> cases_with_class;  // split -> per class
};

struct Writer {
  const ImageSource& source;
  const ImageSamples& samples;
  const Clinical& clinical;
  const ImageTransform& transform;
  const ImageLayout& layout;
  const DataConfig& config;
  Segmentation* segmentation;  // null for other tasks
};

// Segmentation: the mask's values against data.classes before anything is stored, the stored
// size against the one measured from the headers, and the classes present in the stored mask.
void check_and_count_case(const Writer& w, const std::string& split, std::size_t sample,
                          const std::string& origin,
                          const std::array<std::int64_t, 3>& size, const std::uint8_t* mask) {
  Segmentation& seg = *w.segmentation;
  if (!seg.stored.empty() && size != seg.stored[sample]) {
    GALIEN_USER_ERROR(origin << ": its voxels give a stored size of " << size[0] << " x "
                             << size[1] << " x " << size[2] << " but its header "
                             << seg.stored[sample][0] << " x " << seg.stored[sample][1] << " x "
                             << seg.stored[sample][2] << ": the file is damaged; copy it again");
  }
  const std::vector<std::int64_t>& shape = w.layout.shape;
  const std::array<std::int64_t, 3> full =
      shape.size() == 4 ? std::array<std::int64_t, 3>{shape[1], shape[2], shape[3]}
                        : std::array<std::int64_t, 3>{1, shape[1], shape[2]};
  std::vector<std::int64_t>& counts = seg.cases_with_class[split];
  counts.resize(seg.classes.size(), 0);
  count_present_classes(mask, size, full, counts);
}

ShardData make_shard(const Writer& w, const std::string& split, int index, int count,
                     const std::vector<std::int64_t>& members) {
  ShardData shard;
  shard.split = split;
  shard.shard_index = index;
  shard.num_shards = count;
  const EncodedTable* table = w.clinical.table ? &*w.clinical.table : nullptr;
  shard.num_features = table ? static_cast<std::int64_t>(table->num_features()) : 0;
  if (w.source.multi_label) {
    shard.num_labels_multi = static_cast<std::int64_t>(w.source.classes.size());
  }
  for (std::int64_t m : members) {
    std::size_t s = static_cast<std::size_t>(m);
    const ImageItem& item = w.source.items[w.samples.items[s]];
    shard.pseudonyms.push_back(w.samples.pseudonyms[s]);
    shard.labels.push_back(w.samples.labels[s]);
    if (w.source.multi_label) {
      shard.labels_multi.insert(shard.labels_multi.end(), item.multi.begin(), item.multi.end());
    }
    if (table) {
      std::size_t row = static_cast<std::size_t>(w.samples.rows[s]), f = table->num_features();
      for (std::size_t k = 0; k < f; ++k) {
        shard.features.push_back(static_cast<float>(table->values[row * f + k]));
      }
    }
  }
  shard.images.dtype = w.layout.dtype;
  shard.images.shape = w.layout.shape;
  shard.images.has_mask = w.source.has_mask;
  shard.images.gzip_level = w.config.image_gzip_level;
  if (w.segmentation && !w.segmentation->stored.empty()) {  // own size: /extent (format 1.3)
    for (std::int64_t m : members) {
      for (std::int64_t e : w.segmentation->stored[static_cast<std::size_t>(m)]) {
        shard.images.extents.push_back(static_cast<std::int32_t>(e));
      }
    }
  }
  // Pixels stream from the source, one sample at a time, while the shard is written.
  shard.images.fill = [&w, members, split](std::int64_t i, void* pixels, std::uint8_t* mask) {
    const auto sample = static_cast<std::size_t>(members[static_cast<std::size_t>(i)]);
    std::size_t item = w.samples.items[sample];
    const std::string& origin = w.source.items[item].origin;
    LoadedImage loaded = w.source.load(item);
    if (w.segmentation) {
      GALIEN_CHECK(loaded.mask.has_value(), origin << ": a segmentation case without a mask");
      check_mask_labels(*loaded.mask, w.segmentation->classes, origin);
    }
    const StoredGrid grid = w.transform.apply(
        loaded.image, loaded.mask ? &*loaded.mask : nullptr, w.layout, origin, pixels, mask);
    if (w.segmentation) check_and_count_case(w, split, sample, origin, grid.size, mask);
    // The stored grid's spacing, for sources with a physical one (NIfTI, DICOM; not PNG).
    if (loaded.attributes.spacing[1] > 0) loaded.attributes.grid_spacing = grid.spacing;
    return loaded.attributes.to_json();
  };
  return shard;
}

Json images_json(const ImageSource& source, const ImageLayout& layout, const Config& config,
                 const ImageSamples& samples, const std::map<std::string, SplitPart>& splits) {
  const DataConfig& d = config.data;
  Json j = {{"format", d.image_format},
            {"dtype", d.image_dtype},
            {"shape", layout.shape},
            {"chunks", "one sample per chunk"},
            {"gzip", d.image_gzip_level},
            {"intensity", d.image_intensity}};
  if (d.image_intensity == "window") {
    j["window"] = {{"center", d.image_window_center}, {"width", d.image_window_width}};
  }
  if (!d.image_spacing.empty()) j["spacing_mm"] = d.image_spacing;
  j["mask"] = source.has_mask;
  j["label_source"] = d.csv.empty() ? source.label_source : "data.csv (" + d.label_column + ")";
  if (!d.image_join_column.empty()) {
    j["clinical_join"] = "one sample per data.csv row, naming its image in column '" +
                         d.image_join_column + "' (data.images.join_column)";
  }
  if (source.multi_label) {
    j["labels_multi"] = source.classes;
    Json positives = Json::object();
    for (const auto& [name, part] : splits) {
      std::vector<std::int64_t> counts(source.classes.size(), 0);
      for (std::int64_t s : part.rows()) {
        const auto& multi = source.items[samples.items[static_cast<std::size_t>(s)]].multi;
        for (std::size_t k = 0; k < multi.size(); ++k) counts[k] += multi[k];
      }
      positives[name] = counts;
    }
    j["labels_multi_positives"] = positives;
  }
  j["source_items"] = source.items.size();
  if (config.data.task == "segmentation") {
    j["task"] = "segmentation";
    j["classes"] = d.classes;
    j["sizes"] = d.image_shape.empty()
                     ? "each case at its own size (resampled to spacing_mm when set), stored at "
                       "the start of shape (the largest case) and padded with zeros (image and "
                       "mask) at the end of each axis; /extent holds each case's size"
                     : "every case resampled to shape";
  }
  return j;
}

Json privacy_report(const Config& config, const ImageSource& source, const Manifest& manifest,
                    const Clinical& clinical, const WrittenSplits& written) {
  Json patients = Json::object();
  for (const auto& [name, split] : manifest.splits) patients[name] = split.num_patients;
  Json report = {
      {"source_file", manifest.source_file},
      {"source_sha256", manifest.source_sha256},
      {"key_id", manifest.key_id},
      {"image_format", config.data.image_format},
      {"pseudonymisation", "patient keys (" + source.patient_key + ") were replaced by their "
                           "HMAC-SHA256 pseudonym under key id " + manifest.key_id +
                           " as soon as read; raw keys are in no output file"},
      {"image_attributes_kept",
       "pixel data and, per sample in /image_meta, only: modality, rows, columns, slices, "
       "spacing, slice thickness, rescale slope/intercept, photometric interpretation, bits "
       "stored, orientation code, stored-grid spacing and, for NIfTI and DICOM series, the "
       "source grid's dims and voxel-to-world affine (the scanner's coordinate origin and "
       "axes, not an identifier; what puts predictions back onto the source image) (an "
       "allow-list; DICOM "
       "PS3.15 Annex E identifying attributes such as names, IDs, birth date, addresses, "
       "accession numbers, institution and physician names and UIDs are never copied)"},
      {"rejected_rows", manifest.rejected_rows},
      {"patients_per_split", patients},
      {"patients_in_more_than_one_split", written.patients_in_several_splits},
      {"split_disjointness_verified",
       "the /pseudonym of every written shard was read back: " +
           std::to_string(written.samples_read) + " samples of " +
           std::to_string(written.patients) + " patients"}};
  if (config.data.task == "segmentation") {
    report["dataset"] = "segmentation: one image and one label mask per case (imagesTr/ + "
                        "labelsTr/); the masks hold only the label values of data.classes; the "
                        "patient key of a case is its case name, pseudonymised like any key";
  }
  if (clinical.table || clinical.per_image) {
    report["clinical_table"] = clinical.file_name;
    const std::string& join = config.data.image_join_column;
    report["clinical_rows"] =
        clinical.per_image ? "one per image (the labels table)"
        : join.empty()     ? "one per patient"
                           : "one per sample: column '" + join + "' (data.images.join_column) "
                             "names each row's image; it was matched in memory and is written "
                             "nowhere; a sample's patient is its row's data.patient_id";
    report["dropped_columns"] = clinical.dropped_columns;
  }
  return report;
}

// The manifest's source fields; "images" (manifest 1.2) is added by the caller.
void describe(Manifest& m, const Config& config, const ImageSource& source,
              const Clinical& clinical, const ImageSamples& samples) {
  m.source_file = source.source_name;
  m.source_sha256 = source.source_sha256;
  if (clinical.table && !clinical.per_image) {
    m.source_file += " + " + fs::path(config.data.csv).filename().string();
    m.source_sha256 = sha256_hex(source.source_sha256 + clinical.sha256);
    m.label_column = config.data.label_column;
  } else {
    // PNG: the labels table is the source, already in source_sha256.
    m.label_column = source.label_source;
  }
  if (clinical.table) {
    m.rejected_rows = clinical.table->rejected_rows;
    m.features = clinical.table->features;
  }
  m.source_rows = static_cast<std::int64_t>(source.items.size());
  for (const auto& [reason, count] : samples.rejected) m.rejected_rows[reason] += count;
  m.classes = samples.classes;
  if (config.data.task == "segmentation") m.task = "segmentation";
}

class ImageShardSource : public ShardSource {
 public:
  ImageShardSource(const Config& config, const SecretKey& key)
      : config_(config),
        policy_(policy_config(config), key),  // checks privacy.* first
        transform_(config.data),               // checks data.images.* before reading images
        segmentation_(config.data.task == "segmentation") {
    Pseudonymizer pseudonymize(key);
    const bool png = config.data.image_format == "png";
    if (!png) clinical_ = read_clinical(config, policy_, pseudonymize);
    source_ = open_image_source(config.data, pseudonymize);
    if (segmentation_) check_source_has_masks(*source_, config.data);
    if (png) clinical_ = read_labels_table(config, policy_, pseudonymize, *source_);
    if (clinical_.per_image && clinical_.table) {
      samples_ = join_rows_by_line(*source_, *clinical_.table);
    } else if (!config.data.image_join_column.empty()) {  // rows are samples, naming their image
      samples_ = join_by_column(*source_, *clinical_.table, clinical_.pseudonyms,
                                config.data.image_join_column);
      std::vector<std::string>().swap(clinical_.table->image_keys);  // raw names go no further
    } else {  // a per-patient table, or no clinical features
      samples_ = join_samples(*source_, clinical_.table ? &*clinical_.table : nullptr,
                              clinical_.pseudonyms);
    }
    if (segmentation_) {
      // /label is 0 for every case (one class for the split's stratification); the masks are
      // the target, their values named by data.classes.
      samples_.classes = config.data.classes;
      seg_.classes = config.data.classes;
    }
  }

  const PseudonymisationPolicy& policy() const override { return policy_; }

  std::map<std::string, SplitPart> split() override {
    return split_samples(*source_, samples_, config_.data);
  }

  const std::string& pseudonym(const std::string& /*split*/, std::int64_t sample) const override {
    // Fixed splits (MedMNIST, idx) make each sample its own patient.
    return samples_.pseudonyms[static_cast<std::size_t>(sample)];
  }

  void prepare(const std::map<std::string, SplitPart>& splits) override {
    standardise(clinical_, samples_, splits.at("train"));
    if (transform_.own_size()) {
      // A pass over the headers first: every case is padded to the largest stored size.
      CaseSizes sizes = measure_cases(*source_, samples_, transform_);
      layout_ = transform_.layout(sizes.first, sizes.largest);
      seg_.stored = std::move(sizes.stored);
    } else {
      layout_ = transform_.layout(source_->load(samples_.items.front()).image);
    }
    writer_ = std::make_unique<Writer>(Writer{*source_, samples_, clinical_, transform_, layout_,
                                              config_.data, segmentation_ ? &seg_ : nullptr});
  }

  void describe(Manifest& m, const std::map<std::string, SplitPart>& splits) const override {
    galien::describe(m, config_, *source_, clinical_, samples_);
    m.images = images_json(*source_, layout_, config_, samples_, splits).dump();
  }

  ShardData make_shard(const std::string& split, int index, int count,
                       const std::vector<std::int64_t>& members) const override {
    return galien::make_shard(*writer_, split, index, count, members);
  }

  void after_write(Manifest& manifest) override {
    if (!segmentation_) return;
    // class_counts of a segmentation split: cases in which each class is present.
    for (auto& [name, info] : manifest.splits) info.class_counts = seg_.cases_with_class.at(name);
    for (const std::string& name : absent_classes(seg_.classes, seg_.cases_with_class.at("train")))
      spdlog::warn("shard: class '{}' is absent from every case of the train split: a model "
                   "cannot learn it; add cases that hold it, or remove it from data.classes",
                   name);
  }

  Json privacy_report(const Manifest& manifest, const WrittenSplits& written) const override {
    return galien::privacy_report(config_, *source_, manifest, clinical_, written);
  }

  void log_summary(const Manifest& manifest, const std::string& dir) const override {
    for (const auto& [name, split] : manifest.splits)
      log::info0("shard: {}: {} images in {} shards", name, split.num_samples, split.shards.size());
    std::set<std::string> patients(samples_.pseudonyms.begin(), samples_.pseudonyms.end());
    log::info0("shard: {} images of {} patients, shape {}, key id {}; wrote {}",
               samples_.items.size(), patients.size(), Json(layout_.shape).dump(),
               manifest.key_id, dir);
  }

 private:
  const Config& config_;
  PseudonymisationPolicy policy_;
  ImageTransform transform_;
  bool segmentation_;
  Clinical clinical_;
  std::unique_ptr<ImageSource> source_;
  ImageSamples samples_;
  Segmentation seg_;
  ImageLayout layout_;
  std::unique_ptr<Writer> writer_;  // once prepared: what make_shard streams pixels through
};

}  // namespace

void check_image_shard_settings(const Config& config) {
  // Image datasets are classification (or multi-label) or segmentation in this version.
  const bool segmentation = config.data.task == "segmentation";
  if (segmentation) check_segmentation_config(config.data);
  if (!segmentation && config.data.task != "classification")
    GALIEN_USER_ERROR("data.task: " << config.data.task << " is for clinical tables; image "
                      << "datasets (data.images.format: " << config.data.image_format << ") are "
                      << "classification or segmentation in this version");
  const std::string& join = config.data.image_join_column;
  if (!join.empty() && config.data.csv.empty())
    GALIEN_USER_ERROR("data.images.join_column names a column of data.csv, which is not set: set "
                      "data.csv, or remove data.images.join_column");
  if (!join.empty() && config.data.image_format != "dicom" && config.data.image_format != "nifti")
    GALIEN_USER_ERROR("data.images.join_column is for dicom and nifti images; "
                      << config.data.image_format << " images are named "
                      << (config.data.image_format == "png" ? "by data.images.file_column of "
                                                              "their labels table"
                                                            : "by their place in the file")
                      << ": remove it");
  if (!join.empty() && !config.data.image_patient_map.empty())
    GALIEN_USER_ERROR("data.images.join_column and data.images.patient_map both give each DICOM "
                      "series its patient; with join_column it is the row's data.patient_id: "
                      "remove data.images.patient_map");
  if (!config.data.test_csv.empty())
    GALIEN_USER_ERROR("data.test_csv is for clinical tables; image datasets (data.images.format: "
                      << config.data.image_format << ") cannot take an external test table yet");
}

std::unique_ptr<ShardSource> open_image_shard_source(const Config& config, const SecretKey& key) {
  return std::make_unique<ImageShardSource>(config, key);
}

}  // namespace galien
