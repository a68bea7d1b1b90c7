// galien shard CONFIG [key=value ...]: clinical CSV -> pseudonymised, split HDF5 shards.
#include <iostream>

#include "core/config/config.h"
#include "datasets/shard_pipeline.h"
#include "launcher/commands/commands.h"

namespace galien::commands {

Runner add_shard(CLI::App& app) {
  auto* cmd = app.add_subcommand("shard", "Pseudonymise, split by patient and write HDF5 shards");
  auto path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto overwrite = std::make_shared<bool>(false);
  cmd->add_option("config", *path, "YAML config file")->required();
  cmd->add_option("overrides", *overrides, "key.path=value overrides");
  cmd->add_flag("--overwrite", *overwrite, "Replace an existing shard directory's contents");
  return [path, overrides, overwrite] {
    Config config = load_config(*path, *overrides);
    ShardResult result = run_shard(config, *overwrite);
    std::cout << "shards written to " << result.shard_dir << "\n";
    return 0;
  };
}

}  // namespace galien::commands
