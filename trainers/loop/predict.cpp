#include "trainers/loop/predict.h"

#include <torch/types.h>

#include "core/error.h"
#include "core/fs.h"
#include "datasets/imaging/nifti_writer.h"
#include "datasets/imaging/source_grid.h"
#include "datasets/imaging/volume.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "models/registry.h"
#include "privacy/audit_log.h"
#include "privacy/data_keys.h"
#include "trainers/loop/checkpoint.h"
#include "trainers/loop/device.h"
#include "trainers/tasks/registry.h"

namespace galien {
namespace {

// A case's logits [K, D, H, W] (its extent on the stored grid) -> a Volume of `channels`.
Volume stored_volume(const torch::Tensor& values, const ImageAttributes& attributes) {
  const torch::Tensor v = values.to(torch::kFloat32).contiguous();
  Volume volume;
  volume.channels = v.size(0);
  volume.depth = v.size(1);
  volume.height = v.size(2);
  volume.width = v.size(3);
  volume.volumetric = true;
  volume.orientation = attributes.orientation;
  for (int a = 0; a < 3; ++a)
    if (attributes.grid_spacing[a] > 0) volume.spacing[a] = attributes.grid_spacing[a];
  volume.voxels.assign(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
  return volume;
}

// Writes each case's mask (and probabilities) on the source file's grid, DIR/<pseudonym>.nii.gz:
// the stored grid's prediction mapped back (datasets/imaging/source_grid.h) and written with
// the source affine (datasets/imaging/nifti_writer.h). Runs on the rank that owns the case.
TrainingTask::VolumeSink volume_writer(const VolumeOutput& out, const DataConfig& data,
                                       std::int64_t& count) {
  make_directories(out.dir);
  return [&out, &data, &count](const RankShards& shards, const SampleRef& sample,
                               const torch::Tensor& logits) {
    const std::string meta = shards.image_meta(sample);
    if (meta.empty())
      GALIEN_USER_ERROR("the shards hold no /image_meta for their cases, so a prediction cannot "
                        << "be put back on its source grid: re-shard with this galien");
    const ImageAttributes attributes = parse_image_attributes(meta);
    if (attributes.affine.size() != 16)
      GALIEN_USER_ERROR("the shards' /image_meta has no source affine (made by an older galien, "
                        << "or a source without one): re-shard with this galien to write masks");
    const std::string base = out.dir + "/" + shards.pseudonyms({sample}).front();
    NiftiWriteOptions options;
    options.xform_code = attributes.affine_code;
    const torch::Tensor labels = logits.argmax(0, /*keepdim=*/true);
    write_nifti(base + ".nii.gz", to_source_grid(stored_volume(labels, attributes), attributes, data),
                attributes.affine, NiftiType::kUint8, options);
    if (out.probabilities)
      write_nifti(base + "_probabilities.nii.gz",
                  to_source_grid(stored_volume(torch::softmax(logits, 0), attributes), attributes, data),
                  attributes.affine, NiftiType::kFloat32, options);
    ++count;
  };
}

}  // namespace

PredictResult predict_split(const Config& config, const std::string& checkpoint,
                            const std::string& shard_dir, const std::string& split,
                            const Comm& comm, const VolumeOutput& volumes) {
  const std::optional<DataKeys> keys = load_data_keys(config.privacy.key_file);
  const DataKeys* key = keys ? &*keys : nullptr;
  const Manifest manifest = load_manifest(shard_dir, key);
  RankShards shards(shard_dir, manifest, split, comm.size(), comm.rank(), key,
                    shard_read_path(config.trainer.shard_reader));
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
