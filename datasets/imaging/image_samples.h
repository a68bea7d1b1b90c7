// The samples of an image dataset before writing: the source's items, joined with the clinical
// table when data.csv is set (one row per patient: its features and label go to every image of
// that patient), then split by patient into shards.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "datasets/imaging/image_source.h"
#include "datasets/split.h"
#include "datasets/tabular.h"

namespace galien {

struct ImageSamples {
  std::vector<std::size_t> items;      // source item of each sample
  std::vector<std::int64_t> rows;      // clinical table row of each sample (joined only)
  std::vector<std::string> pseudonyms;
  std::vector<std::int64_t> labels;
  std::vector<std::string> classes;
  std::map<std::string, std::int64_t> rejected;  // reason -> samples or rows left out
};

// Joins the source with `table` (already pseudonymised: `table_pseudonyms`) by patient, or takes
// the source's own labels when `table` is null. UserError when a patient has two table rows
// (that takes data.images.join_column: join_by_column).
ImageSamples join_samples(const ImageSource& source, const EncodedTable* table,
                          const std::vector<std::string>& table_pseudonyms);

// data.images.join_column: one sample per table row (`table.image_keys` names its image), so a
// patient may have several rows and an image several rows (lesions of one mammogram); each
// sample has its row's patient, label and features. Rows naming no image and images no row
// names are left out and counted (`rejected`). UserError naming FILE:LINE and the column, never
// the cell, for a malformed name, a folder holding several series, an image named by rows of
// two patients, or no row naming any image.
ImageSamples join_by_column(const ImageSource& source, const EncodedTable& table,
                            const std::vector<std::string>& table_pseudonyms,
                            const std::string& column);

// PNG: one table row per image, the labels table's own (`table` encoded from it, so each row
// keeps its CSV line): each image gets the features of the row on its line, and its own labels.
// Images whose row data.missing: drop_row left out are left out too (the table counted them).
ImageSamples join_rows_by_line(const ImageSource& source, const EncodedTable& table);

// Train/val/test, each cut into data.shards shards of sample indices. The source's own splits
// when it has them (MedMNIST, idx), else split_dataset (by patient, stratified). UserError for
// an empty split or fewer samples than shards, naming the split and the setting to change.
std::map<std::string, SplitPart> split_samples(const ImageSource& source,
                                               const ImageSamples& samples,
                                               const DataConfig& config);

}  // namespace galien
