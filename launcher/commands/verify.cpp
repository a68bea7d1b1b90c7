// galien verify SHARD_DIR [--key FILE]: check a shard directory before a long job starts.
// With the key: the manifest's HMAC, then every shard authenticated (SHA-256 against the
// authenticated manifest, or decrypted in memory and its AES-256-GCM tag checked). Without it:
// SHA-256 only, which detects damage but not a deliberate edit (docs/FORMAT.md, "Integrity").
#include <iostream>
#include <optional>

#include "datasets/manifest.h"
#include "datasets/shard_store.h"
#include "launcher/commands/commands.h"
#include "privacy/data_keys.h"

namespace galien::commands {
namespace {

void verify_with_key(const std::string& dir, const DataKeys& keys) {
  const Manifest manifest = load_manifest(dir, &keys);  // HMAC before anything else
  std::cout << "manifest.json: authenticated (HMAC-SHA256, key id " << keys.key_id()
            << (keys.kind() == KeyKind::kData
                    ? ", with data key " + keys.file_key_id() + " of dataset " + keys.dataset_id()
                    : std::string())
            << ")\n";
  for (const auto& [split, info] : manifest.splits) {
    for (const ShardEntry& entry : info.shards) load_shard(dir, entry, manifest, &keys);
    std::cout << split << ": " << info.shards.size() << " shard(s), " << info.num_samples
              << " samples, "
              << (manifest.encryption ? "decrypted and authenticated (AES-256-GCM)"
                                      : "authenticated (SHA-256 in the authenticated manifest)")
              << "\n";
  }
}

void verify_without_key(const std::string& dir) {
  const Manifest manifest = load_manifest(dir);
  for (const auto& [split, info] : manifest.splits) {
    for (const ShardEntry& entry : info.shards) check_shard_file(dir, entry, manifest);
    std::cout << split << ": " << info.shards.size() << " shard(s), " << info.num_samples
              << " samples, checksums OK\n";
  }
  std::cout << "manifest.json: not authenticated (no --key): checksums detect damage, not a "
               "deliberate edit"
            << (manifest.encryption ? "; shards are encrypted, their contents were not opened"
                                    : "")
            << "\n";
}

}  // namespace

Runner add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "verify", "Verify a shard directory: manifest HMAC and shard contents with --key, "
                "SHA-256 checksums without");
  auto dir = std::make_shared<std::string>();
  auto key_file = std::make_shared<std::string>();
  cmd->add_option("shard_dir", *dir, "Directory holding manifest.json")->required();
  cmd->add_option("--key", *key_file,
                  "A key file (privacy.key_file): this dataset's data key or the data "
                  "controller's key; authenticate the manifest and decrypt every encrypted shard "
                  "in memory");
  return [dir, key_file] {
    std::optional<DataKeys> keys = load_data_keys(*key_file);
    if (keys) {
      verify_with_key(*dir, *keys);
    } else {
      verify_without_key(*dir);
    }
    return 0;
  };
}

}  // namespace galien::commands
