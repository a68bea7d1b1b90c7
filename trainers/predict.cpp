#include "trainers/predict.h"

#include <torch/torch.h>

#include "core/error.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "models/registry.h"
#include "privacy/audit_log.h"
#include "privacy/data_keys.h"
#include "trainers/checkpoint.h"
#include "trainers/device.h"
#include "trainers/task.h"

namespace galien {

Evaluation predict_split(const Config& config, const std::string& checkpoint,
                         const std::string& shard_dir, const std::string& split, const Comm& comm) {
  const std::optional<DataKeys> keys = load_data_keys(config.privacy.key_file);
  const DataKeys* key = keys ? &*keys : nullptr;
  const Manifest manifest = load_manifest(shard_dir, key);
  RankShards shards(shard_dir, manifest, split, comm.size(), comm.rank(), key);
  const ShardsReadEvent event{shard_dir, manifest_sha256(shard_dir), config.sha256,
                              manifest.key_id, shards.owned_files(), comm.rank(), comm.size(),
                              key ? key_kind_name(key->kind()) : "none",
                              key ? key->file_key_id() : ""};
  append_shards_read(audit_log_path(config), event);

  const TaskSpec spec = task_spec(manifest, shards, shard_dir);
  check_model_fits_task(config.model.name, spec);
  auto model = make_model(config.model, model_shape(spec, manifest.num_features()));
  load_model_checkpoint(*model, checkpoint);
  const torch::Device device = choose_device(config.trainer.device, comm.local_rank());
  model->to(device);
  return evaluate_split(*model, shards, spec, comm, device, torch::Tensor());
}

}  // namespace galien
