#include "datasets/shard_pipeline.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "datasets/imaging/image_shard_source.h"
#include "datasets/privacy_step.h"
#include "datasets/shard_output.h"
#include "datasets/shard_source.h"
#include "datasets/shard_store.h"
#include "datasets/split_check.h"
#include "datasets/table_source.h"
#include "privacy/key_file.h"
#include "privacy/report.h"

namespace galien {
namespace {

// Each split is built disjoint; this checks the planned splits themselves, before any write.
void verify_no_shared_patients(const std::map<std::string, SplitPart>& splits,
                               const ShardSource& source) {
  std::map<std::string, std::string> owner;
  for (const auto& [name, part] : splits) {
    for (std::int64_t sample : part.rows()) {
      auto [it, inserted] = owner.emplace(source.pseudonym(name, sample), name);
      GALIEN_CHECK(inserted || it->second == name,
                   "a patient is in splits " << it->second << " and " << name);
    }
  }
}

std::string shard_name(const std::string& split, int index) {
  char text[32];
  std::snprintf(text, sizeof text, "-%05d.h5", index);
  return split + text;
}

SplitInfo write_split(const ShardSource& source, const std::string& dir, const std::string& name,
                      const SplitPart& part, const Manifest& manifest, const DataKeys& keys) {
  SplitInfo info;
  info.num_patients = part.num_patients;
  info.class_counts = part.class_counts;
  const int count = static_cast<int>(part.shards.size());
  for (int i = 0; i < count; ++i) {
    ShardData shard = source.make_shard(name, i, count, part.shards[static_cast<std::size_t>(i)]);
    // Plain "train-00000.h5", or "train-00000.h5.enc" when encrypted (datasets/shard_store.h).
    const std::string file = shard_file_name(shard_name(name, i), manifest);
    info.shards.push_back(store_shard(dir, file, shard, manifest, &keys));
    info.num_samples += shard.num_samples();
  }
  return info;
}

// What every manifest records whatever the source: who made it, with which key and config.
Manifest new_manifest(const Config& config, const SecretKey& key) {
  Manifest m;
  m.created_utc = utc_now_iso8601();
  m.galien_version = GALIEN_VERSION;
  m.key_id = key.key_id();
  assign_new_dataset_identity(m);  // 1.4: what a data key for this dataset is bound to
  m.config_sha256 = config.sha256;
  m.cv = cv_info(config.data);
  if (config.privacy.encrypt) m.encryption = new_encryption_info();
  return m;
}

}  // namespace

ShardResult run_shard(const Config& config, bool overwrite) {
  const bool images = config.data.image_format != "none";
  if (images) {
    check_image_shard_settings(config);
  } else {
    check_table_shard_settings(config);
  }
  check_output_dir(config, overwrite);
  // Held until the manifest is written; then, with the lock, the directory is checked again: a
  // run that finished while this one started has left a manifest.
  ShardDirLock lock(config.data.shard_dir);
  check_output_dir(config, overwrite);
  if (const int removed = remove_stale_temporaries(config.data.shard_dir))
    log::info0("shard: removed {} temporary file(s) a killed run left in {}", removed,
               config.data.shard_dir);
  const SecretKey key = load_key_file(config.privacy.key_file, "`galien shard` makes pseudonyms");
  const std::unique_ptr<ShardSource> source =
      images ? open_image_shard_source(config, key) : open_table_source(config, key);

  const std::map<std::string, SplitPart> splits = source->split();
  verify_no_shared_patients(splits, *source);
  source->prepare(splits);

  const std::string& dir = config.data.shard_dir;
  make_directories(dir);
  Manifest manifest = new_manifest(config, key);
  source->describe(manifest, splits);
  const DataKeys keys(key);
  for (const auto& [name, part] : splits)
    manifest.splits[name] = write_split(*source, dir, name, part, manifest, keys);
  source->after_write(manifest);
  // The leakage check on the written shards themselves (the split was built disjoint; this
  // proves what a reader will see).
  const WrittenSplits written = check_written_splits(dir, manifest, keys);
  GALIEN_CHECK(written.patients_in_several_splits == 0,
               written.patients_in_several_splits << " patients are in more than one split of "
                                                  << dir);
  nlohmann::ordered_json report = source->privacy_report(manifest, written);
  report.update(source->policy().report());
  write_privacy_reports(dir, report);  // privacy_report.json + privacy_report.md
  // manifest.json last: its presence means the directory is complete.
  save_manifest(dir, manifest, keys);  // + manifest.json.hmac
  if (overwrite) remove_stale_shards(dir, manifest);
  record_shards_created(config, manifest, source->policy(), source->test_policy());
  source->log_summary(manifest, dir);
  return {dir, manifest};
}

}  // namespace galien
