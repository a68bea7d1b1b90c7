// Patient-level stratified train/val/test split: all rows of a patient land in one split, each
// split's share of every class is as close to the configured fraction as whole patients allow,
// and each split is cut into shards of equal size (within one row). Depends only on the row order
// and data.split.seed, never on the pseudonyms, so a new key gives the same split.
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
};

struct SplitPart {
  std::int64_t num_patients = 0;
  std::vector<std::int64_t> class_counts;         // rows per class index
  std::vector<std::vector<std::int64_t>> shards;  // row indices per shard, shuffled

  std::vector<std::int64_t> rows() const;  // every row of the split, shard by shard
};

// Keys "train", "val", "test". Uses data.split.{val,test,seed} and data.shards. Throws UserError
// for a patient with two labels (naming the CSV lines), an empty split, or a split with fewer
// rows than shards, each saying which setting to change.
std::map<std::string, SplitPart> split_dataset(const SplitInput& input, const DataConfig& config);

}  // namespace galien
