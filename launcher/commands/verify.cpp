// galien verify SHARD_DIR: check every shard against manifest.json before a long job starts.
#include <iostream>

#include "datasets/manifest.h"
#include "launcher/commands/commands.h"

namespace galien::commands {

Runner add_verify(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Verify a shard directory's SHA-256 checksums");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("shard_dir", *dir, "Directory holding manifest.json")->required();
  return [dir] {
    Manifest manifest = load_manifest(*dir);
    for (const auto& [split, info] : manifest.splits) {
      verify_split(*dir, manifest, split);
      std::cout << split << ": " << info.shards.size() << " shard(s), " << info.num_samples
                << " samples, checksums OK\n";
    }
    return 0;
  };
}

}  // namespace galien::commands
