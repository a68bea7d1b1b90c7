// galien keygen PATH: the data controller's 32-byte key, mode 0600.
// galien keygen --data-key --from CONTROLLER_KEY --dataset SHARD_DIR OUT: the data key of one
// shard directory, for a compute site (docs/PRIVACY.md, "Who holds which key").
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "datasets/manifest.h"
#include "launcher/commands/commands.h"
#include "privacy/audit_log.h"
#include "privacy/data_keys.h"
#include "privacy/key_file.h"

namespace galien::commands {
namespace {

struct KeygenOptions {
  std::string path;
  bool data_key = false;
  std::string from;
  std::string dataset;
  std::string audit_log;  // default <dataset>/audit.jsonl, as galien shard's
};

int write_controller_key(const KeygenOptions& options) {
  if (!options.from.empty() || !options.dataset.empty())
    GALIEN_USER_ERROR("keygen: --from and --dataset derive a data key and need --data-key");
  generate_key_file(options.path);
  std::cout << "wrote " << options.path << " (controller key, key id "
            << load_key_file(options.path).key_id()
            << "); keep it with the data controller, never with the shards or on a compute site\n";
  return 0;
}

int write_data_key(const KeygenOptions& options) {
  if (options.from.empty() || options.dataset.empty()) {
    GALIEN_USER_ERROR("keygen --data-key: name the controller key and the shard directory: galien "
                      "keygen --data-key --from CONTROLLER_KEY --dataset SHARD_DIR OUT");
  }
  const DataKeys controller(load_key_file(options.from, "deriving a data key"));
  // Authenticated: a data key is only ever derived for a dataset this controller key wrote.
  const Manifest manifest = load_manifest(options.dataset, &controller);
  const DatasetIdentity dataset = dataset_identity(manifest);
  if (dataset.salt.empty()) {
    GALIEN_USER_ERROR(options.dataset
                      << " was written by an older galien (shard format "
                      << manifest.format_version_major << "." << manifest.format_version_minor
                      << ") and has no dataset identity: a data key for it would open every such "
                      << "dataset of this controller key. Re-run `galien shard` with this galien "
                      << "(format 1.4) and derive the data key of the new directory");
  }
  DataKeyFile key{manifest.dataset_id, controller.key_id(), controller.dataset_key(dataset)};
  write_data_key_file(options.path, key);
  const std::string log_path =
      options.audit_log.empty()
          ? (std::filesystem::path(options.dataset) / "audit.jsonl").string()
          : options.audit_log;
  append_data_key_derived(log_path,
                          {options.dataset, manifest.dataset_id, controller.key_id(), key.key_id()});
  std::cout << "wrote " << options.path << " (data key, key id " << key.key_id() << ", dataset "
            << manifest.dataset_id << " = " << options.dataset << ", from controller key id "
            << controller.key_id() << "; recorded in " << log_path << ").\n"
            << "It decrypts and authenticates this shard directory only and cannot make "
               "pseudonyms: copy it (mode 0600) to the compute site and set privacy.key_file to "
               "it there; the controller key stays here.\n";
  return 0;
}

}  // namespace

Runner add_keygen(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "keygen", "Create the data controller's random 32-byte key (mode 0600), or with --data-key "
                "derive the data key of one shard directory for a compute site");
  auto options = std::make_shared<KeygenOptions>();
  cmd->add_option("path", options->path, "Key file to create (refuses to overwrite)")->required();
  cmd->add_flag("--data-key", options->data_key,
                "Derive a data key: opens the shards of --dataset only, cannot make pseudonyms");
  cmd->add_option("--from", options->from, "The data controller's key (with --data-key)");
  cmd->add_option("--dataset", options->dataset,
                  "Shard directory (manifest.json) the data key opens (with --data-key)");
  cmd->add_option("--audit-log", options->audit_log,
                  "Audit log to record the derivation in (default: SHARD_DIR/audit.jsonl)");
  return [options] {
    return options->data_key ? write_data_key(*options) : write_controller_key(*options);
  };
}

}  // namespace galien::commands
