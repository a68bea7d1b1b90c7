// The leakage check on what was written, not on what was planned: every shard's /pseudonym is
// read back (encrypted shards decrypted in memory) and each patient must be in one split only.
#pragma once

#include <cstdint>
#include <string>

#include "datasets/manifest.h"
#include "privacy/data_keys.h"

namespace galien {

struct WrittenSplits {
  std::int64_t samples_read = 0;
  std::int64_t patients = 0;
  std::int64_t patients_in_several_splits = 0;
};

WrittenSplits check_written_splits(const std::string& dir, const Manifest& manifest,
                                   const DataKeys& keys);

}  // namespace galien
