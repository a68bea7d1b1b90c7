// galien predict CONFIG --checkpoint C [--data SHARD_DIR] [--split test] [--out FILE]:
// per-sample predictions of a trained model, keyed by pseudonym, plus the split's metrics.
#include <filesystem>
#include <iostream>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "launcher/commands/commands.h"
#include "launcher/commands/rank_errors.h"
#include "trainers/comm.h"
#include "trainers/exit_codes.h"
#include "trainers/predict.h"

namespace galien::commands {
namespace {

struct PredictOptions {
  std::string path, checkpoint, data, split = "test", out;
  std::vector<std::string> overrides;
};

int run_predict(const PredictOptions& o, int* argc, char*** argv) {
  MpiSession session(argc, argv);
  const Comm comm = Comm::world();
  log::set_rank(comm.rank(), comm.size());
  try {
    const Config config = load_config(o.path, o.overrides);
    const std::string shard_dir = o.data.empty() ? config.data.shard_dir : o.data;
    if (!std::filesystem::exists(o.checkpoint))
      GALIEN_USER_ERROR("--checkpoint " << o.checkpoint << " does not exist; give a run's "
                        << "checkpoints/final.pt or best.pt");
    const Evaluation result = predict_split(config, o.checkpoint, shard_dir, o.split, comm);
    if (comm.is_root()) {
      const std::string out = o.out.empty() ? "predictions-" + o.split + ".csv" : o.out;
      write_file_atomic(out, result.predictions.to_csv());
      std::cout << result.predictions.pseudonyms.size() << " predictions (" << o.split << " split of "
                << shard_dir << ") -> " << out << "\n";
      for (const auto& [name, value] : result.metrics)
        std::cout << "  " << o.split << "/" << name << " " << value << "\n";
    }
    return kExitOk;
  } catch (const std::exception& e) {
    const bool user = dynamic_cast<const UserError*>(&e) != nullptr;
    report_once_across_ranks(comm, user);
    std::cerr << "galien: " << (user ? "error" : "internal error") << ": " << e.what() << std::endl;
    if (comm.size() > 1) comm.abort(user ? kExitUserError : kExitInternalError);
    return user ? kExitUserError : kExitInternalError;
  }
}

}  // namespace

Runner add_predict(CLI::App& app, int* argc, char*** argv) {
  auto* cmd = app.add_subcommand(
      "predict", "Per-sample predictions of a trained model, keyed by pseudonym (any rank count)");
  auto o = std::make_shared<PredictOptions>();
  cmd->add_option("config", o->path, "the config the model was trained with")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value overrides");
  cmd->add_option("--checkpoint,-c", o->checkpoint, "final.pt, best.pt or a step checkpoint")
      ->required();
  cmd->add_option("--data,-d", o->data, "shard directory (default: data.shard_dir)");
  cmd->add_option("--split", o->split, "train | val | test")
      ->check(CLI::IsMember({"train", "val", "test"}));
  cmd->add_option("--out,-o", o->out, "CSV to write (default: predictions-SPLIT.csv)");
  return [=] { return run_predict(*o, argc, argv); };
}

}  // namespace galien::commands
