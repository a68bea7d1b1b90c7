// galien keygen PATH: the data controller's 32-byte key, mode 0600.
#include <iostream>

#include "launcher/commands/commands.h"
#include "privacy/key_file.h"

namespace galien::commands {

Runner add_keygen(CLI::App& app) {
  auto* cmd = app.add_subcommand("keygen", "Create a new random 32-byte pseudonymisation key (mode 0600)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("path", *path, "Key file to create (refuses to overwrite)")->required();
  return [path] {
    generate_key_file(*path);
    std::cout << "wrote " << *path << " (key id " << load_key_file(*path).key_id()
              << "); keep it with the data controller, never with the shards\n";
    return 0;
  };
}

}  // namespace galien::commands
