// What `galien shard` reads, behind one small interface: a clinical table
// (datasets/table_source.h) or an image dataset, with or without a joined table
// (datasets/imaging/image_shard_source.h). A source gives the samples, each with its patient
// (pseudonym), its fields and its split; the one pipeline (datasets/shard_pipeline.cpp) does
// the rest for both: the output directory and its lock, the key, the disjointness checks (in
// memory, then on the written shards), shard names and storage (plain or encrypted), the
// manifest's common fields, the privacy report files, the manifest and the audit record.
// Sources read everything they need when opened; raw patient keys never leave them.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "datasets/manifest.h"
#include "datasets/shard.h"
#include "datasets/split.h"
#include "datasets/split_check.h"
#include "privacy/policy.h"

namespace galien {

class ShardSource {
 public:
  virtual ~ShardSource() = default;

  // The policy applied to the source's table(s) (privacy.*), for the report and the audit log.
  virtual const PseudonymisationPolicy& policy() const = 0;
  // The external test table's own policy (data.test_csv), or null.
  virtual const PseudonymisationPolicy* test_policy() const { return nullptr; }

  // Train/val(/test), each cut into data.shards shards of sample indices (by patient).
  virtual std::map<std::string, SplitPart> split() = 0;
  // The patient of sample `index` of `split`: what the disjointness check compares.
  virtual const std::string& pseudonym(const std::string& split, std::int64_t index) const = 0;
  // Once the split is known and checked: train-only statistics (standardisation), and what
  // the shards' layout needs (image sizes).
  virtual void prepare(const std::map<std::string, SplitPart>& splits) = 0;

  // The manifest's fields that depend on the source (source file and hash, rows, features,
  // classes, task, images, ...); the pipeline has set identity, key id, config hash, cv and
  // encryption.
  virtual void describe(Manifest& manifest, const std::map<std::string, SplitPart>& splits) const = 0;
  // Shard `index` of `count` of `split`, holding samples `members`. Image pixels may stream
  // from the source while the shard is written.
  virtual ShardData make_shard(const std::string& split, int index, int count,
                               const std::vector<std::int64_t>& members) const = 0;
  // After every shard is written: what only the written data tells (segmentation's classes
  // per split). Default: nothing.
  virtual void after_write(Manifest& /*manifest*/) {}

  // privacy_report.json's fields for this source; the pipeline adds the policy's report.
  virtual nlohmann::ordered_json privacy_report(const Manifest& manifest,
                                                const WrittenSplits& written) const = 0;
  // The closing log lines (rank 0).
  virtual void log_summary(const Manifest& manifest, const std::string& dir) const = 0;
};

}  // namespace galien
