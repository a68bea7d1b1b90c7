// One interface over every image format: a catalogue of samples (pseudonymised patient, labels,
// fixed split if the source has one) built up front, and per-sample loading of pixels, so the
// shard writer streams images one at a time. open_image_source picks the format from
// data.images.format.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/csv.h"
#include "datasets/imaging/volume.h"
#include "privacy/pseudonym.h"

namespace galien {

struct ImageItem {
  std::string pseudonym;            // of the sample's patient; the raw key is never kept
  // How errors name the sample, without its patient key: "the image of Data_Entry.csv:9",
  // "NIfTI case 5 of 210 in DIR (cases in name order)", "file.npz: train 17"; for DICOM the
  // series' first file (docs/imaging.md, "What leaves a DICOM file").
  std::string origin;
  std::int64_t line = 0;            // labels-table line or 1-based item number, for errors
  std::int64_t label = 0;           // class index (single-label sources)
  std::vector<std::uint8_t> multi;  // multi-label targets (K entries), or empty
  std::string split;                // "train" | "val" | "test" when the source fixes it
};

struct LoadedImage {
  Volume image;
  std::optional<Volume> mask;
  ImageAttributes attributes;  // allow-listed only
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual LoadedImage load(std::size_t item) const = 0;
  // What load() gives with no voxel read (image and mask voxels empty): sizes, channels, spacing
  // and orientation, for a pass over every item before writing (segmentation datasets of
  // different sizes). Default: load() without its voxels; NIfTI reads the headers only.
  virtual LoadedImage geometry(std::size_t item) const;
  // data.images.join_column: the items one table cell names (DICOM: every series with a file at
  // or under that path relative to data.images.path, else the series of that SeriesInstanceUID;
  // NIfTI: the case of that name or file name).
  // `value` is raw and may hold an identifier: it is never stored or printed; a malformed one is
  // a UserError giving the reason only, which the caller prefixes with FILE:LINE and the column.
  // Default: UserError (the format has no names to join on).
  virtual std::vector<std::size_t> items_named(const std::string& value) const;

  std::vector<ImageItem> items;
  std::vector<std::string> classes;  // class names of the labels; empty = unlabelled source
  bool multi_label = false;          // items carry `multi`, one entry per class
  bool has_mask = false;
  std::string label_source;          // where labels come from, for the manifest
  std::string patient_key;           // how patient keys were made, for the privacy report
  std::string source_name;           // file or folder name (no path), for the manifest
  std::string source_sha256;         // over every input file (hash_files)
  // PNG: the labels table as read (raw patient IDs included), for its clinical columns
  // (png_clinical.h); the pipeline takes it at once and encodes it. Empty for other formats.
  std::optional<CsvTable> table;
};

std::unique_ptr<ImageSource> open_image_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize);

// Format-specific makers (one file each).
std::unique_ptr<ImageSource> open_dicom_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize);
std::unique_ptr<ImageSource> open_nifti_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize);
std::unique_ptr<ImageSource> open_png_source(const DataConfig& config,
                                             const Pseudonymizer& pseudonymize);
std::unique_ptr<ImageSource> open_medmnist_source(const DataConfig& config,
                                                  const Pseudonymizer& pseudonymize);
std::unique_ptr<ImageSource> open_idx_source(const DataConfig& config,
                                             const Pseudonymizer& pseudonymize);

// SHA-256 over "relative path, file SHA-256" lines of `files` (sorted): one identity for a
// folder of inputs. Paths are hashed, never written out.
std::string hash_files(const std::string& root, std::vector<std::string> files);
// The last component of a path, trailing slashes ignored: what the manifest records.
std::string base_name(const std::string& path);
// data.classes when set (checked to have `count` names), else "0".."count-1".
std::vector<std::string> class_names(const DataConfig& config, std::int64_t count,
                                     const std::string& what);

}  // namespace galien
