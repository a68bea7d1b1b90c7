// Each subcommand of `galien` registers itself on the CLI11 app; main.cpp runs the chosen one.
// A command returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace galien::commands {

using Runner = std::function<int()>;

// Each adds its subcommand to `app` and returns what runs it.
Runner add_keygen(CLI::App& app);
Runner add_config(CLI::App& app);
Runner add_shard(CLI::App& app);
Runner add_verify(CLI::App& app);
Runner add_train(CLI::App& app, int* argc, char*** argv);
Runner add_launch(CLI::App& app);
Runner add_runs(CLI::App& app);
Runner add_audit(CLI::App& app);
Runner add_plan(CLI::App& app);
Runner add_reproduce(CLI::App& app);
Runner add_predict(CLI::App& app, int* argc, char*** argv);
Runner add_relink(CLI::App& app);

}  // namespace galien::commands
