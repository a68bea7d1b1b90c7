// galien runs summarize DIR [--output FILE]: a table of the runs under DIR (a sweep, or any
// folder of run directories): the config values that differ, status, epochs and final metrics.
#include <iostream>

#include "core/fs.h"
#include "launcher/commands/commands.h"
#include "launcher/slurm/runs_summary.h"

namespace galien::commands {

Runner add_runs(CLI::App& app) {
  auto* cmd = app.add_subcommand("runs", "Inspect finished runs");
  cmd->require_subcommand(1);
  auto* summarize = cmd->add_subcommand(
      "summarize", "Table of the runs under DIR: differing config values, status, final metrics");
  auto dir = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  summarize->add_option("dir", *dir, "a sweep directory, or a folder of run directories")
      ->required();
  summarize->add_option("--output,-o", *output, "also write the table (Markdown) to this file");
  return [dir, output] {
    const std::string table = slurm::summary_table(*dir, slurm::read_runs(*dir));
    if (!output->empty()) write_file_atomic(*output, table);
    std::cout << table;
    return 0;
  };
}

}  // namespace galien::commands
