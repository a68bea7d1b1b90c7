// galien config show CONFIG [key=value ...]: the resolved config and its SHA-256.
// galien config keys: every key, with type, default, range and help.
#include <iostream>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "launcher/commands/commands.h"

namespace galien::commands {

Runner add_config(CLI::App& app) {
  auto* cmd = app.add_subcommand("config", "Inspect configurations");
  cmd->require_subcommand(1);
  auto* show = cmd->add_subcommand("show", "Print the resolved config (extends + overrides + defaults)");
  auto* keys = cmd->add_subcommand("keys", "List every config key with its type, default and range");
  auto path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  show->add_option("config", *path, "YAML config file")->required();
  show->add_option("overrides", *overrides, "key.path=value overrides");
  return [show, keys, path, overrides] {
    if (keys->parsed()) {
      std::cout << describe_schema();
      return 0;
    }
    Config config = load_config(*path, *overrides);
    std::cout << config.resolved_yaml << "# sha256: " << config.sha256 << "\n";
    return 0;
  };
}

}  // namespace galien::commands
