// galien train CONFIG [key=value ...]: one rank of a data-parallel training (any world size),
// started by mpirun, srun or `galien launch`.
#include <iostream>

#include "core/config/config.h"
#include "core/error.h"
#include "core/log.h"
#include "launcher/commands/commands.h"
#include "launcher/commands/rank_errors.h"
#include "trainers/distributed/comm.h"
#include "core/exit_codes.h"
#include "trainers/loop/trainer.h"

namespace galien::commands {

Runner add_train(CLI::App& app, int* argc, char*** argv) {
  auto* cmd = app.add_subcommand("train", "Train inside an MPI job (mpirun/srun), one rank per process");
  auto path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  cmd->add_option("config", *path, "YAML config file")->required();
  cmd->add_option("overrides", *overrides, "key.path=value overrides");
  return [=] {
    MpiSession session(argc, argv);
    const Comm comm = Comm::world();
    log::set_rank(comm.rank(), comm.size());
    try {
      const TrainResult result = train(load_config(*path, *overrides), comm);
      // Stopped by SIGUSR1/SIGTERM after a checkpoint: the job script requeues on this code.
      return result.status == "stopped" ? kExitStopped : kExitOk;
    } catch (const std::exception& e) {
      const bool user = dynamic_cast<const UserError*>(&e) != nullptr;
      report_once_across_ranks(comm, user);
      std::cerr << "galien: " << (user ? "error" : "internal error")
                << (comm.size() > 1 ? " on rank " + std::to_string(comm.rank()) : "") << ": "
                << e.what() << std::endl;
      // The other ranks may be waiting in a collective: take the whole job down, never hang.
      if (comm.size() > 1) comm.abort(user ? kExitUserError : kExitInternalError);
      return user ? kExitUserError : kExitInternalError;
    }
  };
}

}  // namespace galien::commands
