// galien: one executable, one subcommand per job (DESIGN.md "Contracts").
// Exit codes: 0 success, 1 internal error, 2 bad input or config (the message says what to fix).
#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

#include "core/error.h"
#include "launcher/commands/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"galien: pseudonymised medical data -> HDF5 shards -> MPI data-parallel training"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("galien ") + GALIEN_VERSION);
  std::map<CLI::App*, galien::commands::Runner> runners;
  auto remember = [&](galien::commands::Runner runner) {
    runners[app.get_subcommands({}).back()] = std::move(runner);
  };
  remember(galien::commands::add_keygen(app));
  remember(galien::commands::add_config(app));
  remember(galien::commands::add_shard(app));
  remember(galien::commands::add_verify(app));
  remember(galien::commands::add_train(app, &argc, &argv));
  remember(galien::commands::add_launch(app));
  remember(galien::commands::add_runs(app));
  remember(galien::commands::add_audit(app));
  remember(galien::commands::add_plan(app));
  remember(galien::commands::add_reproduce(app));
  remember(galien::commands::add_predict(app, &argc, &argv));
  remember(galien::commands::add_relink(app));

  CLI11_PARSE(app, argc, argv);
  try {
    for (auto& [command, runner] : runners)
      if (command->parsed()) return runner();
  } catch (const galien::UserError& e) {
    std::cerr << "galien: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "galien: internal error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
