// galien relink PREDICTIONS.csv --key CONTROLLER_KEY (--csv SOURCE.csv --id-column COL |
// --images DIR --format dicom|nifti) [-o OUT.csv]: predictions keyed by pseudonym joined back to
// the source IDs. Controller side only: a data key is refused (docs/PRIVACY.md).
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/fs.h"
#include "datasets/relink.h"
#include "launcher/commands/commands.h"
#include "privacy/key_file.h"

namespace galien::commands {
namespace {

struct RelinkOptions {
  std::string predictions, key, out;
  RelinkSource source;
};

std::string default_out(const std::string& predictions) {
  const std::filesystem::path path(predictions);
  return (path.parent_path() / (path.stem().string() + "-relinked.csv")).string();
}

int run_relink(const RelinkOptions& o) {
  if (o.key.empty()) GALIEN_USER_ERROR("relink: --key names the data controller's key");
  const SecretKey key = load_key_file(
      o.key, "`galien relink` recomputes pseudonyms from the source IDs to join them back");
  const std::map<std::string, std::string> ids = pseudonyms_of_source(o.source, key);
  const std::string source_name = o.source.csv.empty() ? o.source.images : o.source.csv;
  const std::string id_name = o.source.csv.empty()
                                  ? (o.source.image_format == "dicom" ? "PatientID" : "case")
                                  : o.source.id_column;
  const RelinkResult result = relink_predictions(o.predictions, ids, id_name, source_name);
  const std::string out = o.out.empty() ? default_out(o.predictions) : o.out;
  if (std::filesystem::exists(out))
    GALIEN_USER_ERROR("relink: " << out << " already exists; choose another -o (it would hold "
                      << "patient IDs, so galien never overwrites it)");
  // Mode 0600: the output holds patient IDs again and belongs with the controller's data.
  write_file_atomic(out, result.csv, 0600);
  std::cout << result.rows << " predictions relinked to " << id_name << " of " << source_name
            << " -> " << out << " (mode 0600: it holds patient IDs; keep it on this machine)\n";
  return 0;
}

}  // namespace

Runner add_relink(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "relink", "Join predictions keyed by pseudonym back to the source IDs (data controller's "
                "machine only: needs the controller key)");
  auto o = std::make_shared<RelinkOptions>();
  cmd->add_option("predictions", o->predictions,
                  "predictions CSV (galien predict, or a run's predictions-SPLIT.csv)")
      ->required();
  cmd->add_option("--key", o->key, "the data controller's key (a data key cannot relink)");
  cmd->add_option("--csv", o->source.csv, "the source table that was sharded");
  cmd->add_option("--id-column", o->source.id_column, "its patient ID column (data.patient_id)");
  cmd->add_option("--images", o->source.images, "the image folder that was sharded");
  cmd->add_option("--format", o->source.image_format, "dicom | nifti (with --images)");
  cmd->add_option("--patient-map", o->source.patient_map,
                  "data.images.patient_map, if the shards were made with one (DICOM)");
  cmd->add_option("--out,-o", o->out, "CSV to write (default: PREDICTIONS-relinked.csv)");
  return [o] { return run_relink(*o); };
}

}  // namespace galien::commands
