// galien predict CONFIG --checkpoint C [--data SHARD_DIR] [--split test] [--out FILE]:
// per-sample predictions of a trained model, keyed by pseudonym, plus the split's metrics.
// Segmentation: --out names a directory that gets one mask per case (<pseudonym>.nii.gz, in
// the source geometry), optionally the class probabilities, and the per-case CSV.
#include <filesystem>
#include <iostream>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "launcher/commands/commands.h"
#include "launcher/commands/rank_errors.h"
#include "trainers/distributed/comm.h"
#include "core/exit_codes.h"
#include "trainers/loop/predict.h"

namespace galien::commands {
namespace {

struct PredictOptions {
  std::string path, checkpoint, data, split = "test", out;
  bool probabilities = false;
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
    // Volumes (segmentation masks) go to a directory; other tasks ignore it.
    VolumeOutput volumes{o.out.empty() ? "predictions-" + o.split : o.out, o.probabilities};
    const PredictResult predicted =
        predict_split(config, o.checkpoint, shard_dir, o.split, comm, volumes);
    if (!predicted.writes_volumes && o.probabilities)
      GALIEN_USER_ERROR("--probabilities writes class probability volumes of segmentation; "
                        << "these shards are not a segmentation dataset: drop it");
    std::int64_t masks = predicted.volumes;
    comm.allreduce_sum(&masks, 1);
    const Evaluation& result = predicted.evaluation;
    if (comm.is_root()) {
      const std::string out =
          predicted.writes_volumes ? volumes.dir + "/predictions-" + o.split + ".csv"
                                   : (o.out.empty() ? "predictions-" + o.split + ".csv" : o.out);
      write_file_atomic(out, result.predictions.to_csv());
      std::cout << result.predictions.pseudonyms.size() << " predictions (" << o.split << " split of "
                << shard_dir << ") -> " << out << "\n";
      if (predicted.writes_volumes)
        std::cout << masks << " masks in the source geometry -> " << volumes.dir
                  << "/<pseudonym>.nii.gz\n";
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
  cmd->add_option("--out,-o", o->out,
                  "CSV to write (default: predictions-SPLIT.csv); segmentation: the directory of "
                  "the masks and the CSV (default: predictions-SPLIT/)");
  cmd->add_flag("--probabilities", o->probabilities,
                "segmentation: also write each case's class probabilities "
                "(<pseudonym>_probabilities.nii.gz)");
  return [=] { return run_predict(*o, argc, argv); };
}

}  // namespace galien::commands
