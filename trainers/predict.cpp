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
#include "trainers/tasks/registry.h"

namespace galien {
namespace {

// TEMP-BEFORE-GEOMETRY-MERGE
TrainingTask::VolumeSink volume_writer(const VolumeOutput&, const DataConfig&, std::int64_t& count) {
  return [&count](const RankShards&, const SampleRef&, const torch::Tensor&) { ++count; };
}

}  // namespace

PredictResult predict_split(const Config& config, const std::string& checkpoint,
                            const std::string& shard_dir, const std::string& split,
                            const Comm& comm, const VolumeOutput& volumes) {
  const std::optional<DataKeys> keys = load_data_keys(config.privacy.key_file);
  const DataKeys* key = keys ? &*keys : nullptr;
  const Manifest manifest = load_manifest(shard_dir, key);
  RankShards shards(shard_dir, manifest, split, comm.size(), comm.rank(), key);
  const ShardsReadEvent event{shard_dir, manifest_sha256(shard_dir), config.sha256,
                              manifest.key_id, shards.owned_files(), comm.rank(), comm.size(),
                              key ? key_kind_name(key->kind()) : "none",
                              key ? key->file_key_id() : ""};
  append_shards_read(audit_log_path(config), event);

  const torch::Device device = choose_device(config.trainer.device, comm.local_rank());
  const std::unique_ptr<TrainingTask> task = make_task(config, manifest, shards.image_shape(), shard_dir,
                                                         comm, device);
  auto model = make_model(config.model, model_shape(task->spec(), manifest.num_features()));
  load_model_checkpoint(*model, checkpoint);
  model->to(device);
  PredictResult result;
  result.writes_volumes = task->writes_volumes();
  if (result.writes_volumes && !volumes.dir.empty())
    task->set_volume_sink(volume_writer(volumes, config.data, result.volumes));
  result.evaluation = evaluate_split(*model, shards, *task, comm, device);
  return result;
}

}  // namespace galien
