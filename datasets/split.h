// Patient-level stratified train/val/test split: all rows of a patient land in one split (rows
// are samples and may have labels of their own), each split's share of every patient stratum
// (the patient's most frequent class; survival: any event) is as close to the configured
// fraction as whole patients allow,
// and each split is cut into shards of equal size (within one row). Depends only on the row order
// and data.split.seed (and cv.repeat, cv.fold), never on the pseudonyms, so a new key gives the
// same split.
//
// Cross-validation (cv.folds = K >= 2): the patients of each class are shuffled from
// (data.split.seed, cv.repeat) and dealt in turn to K folds, so every fold holds each class
// within one patient of 1/K; the test split is fold cv.fold, val is data.split.val of the other
// patients (stratified), train the rest. The folds do not depend on cv.fold, so for one repeat
// the K test splits partition the patients.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace galien {

struct SplitInput {
  std::string source;                   // CSV path, for messages
  std::vector<std::int64_t> lines;      // CSV line of each row
  std::vector<std::string> pseudonyms;  // patient of each row
  std::vector<std::int64_t> labels;     // class index of each row
  std::size_t num_classes = 0;
  std::string label_name = "label";     // what a class is, for messages ("event" for survival)
  // Rows are samples; a patient may have several with different labels. Stratify each patient
  // on its most frequent class, or with `stratify_on_any` (survival) on any row being class 1.
  bool stratify_on_any = false;
};

struct SplitPart {
  std::int64_t num_patients = 0;
  std::vector<std::int64_t> class_counts;         // rows per class index
  std::vector<std::vector<std::int64_t>> shards;  // row indices per shard, shuffled

  std::vector<std::int64_t> rows() const;  // every row of the split, shard by shard
};

// Keys "train", "val", "test"; "val" or "test" is absent when its fraction is 0 (data.split.val,
// data.split.test; with cv, test is the fold). Uses data.split.{val,test,seed}, cv.* and
// data.shards. Throws UserError for an empty split, or a split with fewer rows than shards, each saying which setting to change.
std::map<std::string, SplitPart> split_dataset(const SplitInput& input, const DataConfig& config);

// Every row of `input` (the external test table, data.test_csv) in one split, dealt to
// data.shards shards after a shuffle seeded by data.split.seed. The same UserErrors as
// split_dataset, naming the split `name`.
SplitPart split_whole(const SplitInput& input, const DataConfig& config, const std::string& name);

}  // namespace galien
