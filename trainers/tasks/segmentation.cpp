// Segmentation: a label per voxel. The shards hold each case whole (/image, /mask and, for
// cases of different sizes, /extent); training cuts one patch per sample (trainer.patch_size,
// foreground oversampling and joint image+mask augmentation: trainers/segmentation/
// patch_sampler.h), the training loss is dice_ce (default), dice, ce or focal over the patch's
// voxels; evaluation runs sliding windows over every whole case (trainers/segmentation/
// sliding_window.h) and reports, over the split's cases, loss, Dice and HD95 per foreground
// class and their means (trainers/segmentation/overlap_metrics.h). Predictions: one row per
// case (Dice and HD95 per class); `galien predict -o DIR` also writes each case's mask.
#include <torch/types.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "datasets/imaging/volume.h"
#include "trainers/segmentation/overlap_metrics.h"
#include "trainers/segmentation/patch_sampler.h"
#include "trainers/segmentation/sliding_window.h"
#include "trainers/tasks/task.h"

namespace galien {
namespace {

std::string size_text(const Size3& s) {
  return std::to_string(s[0]) + " x " + std::to_string(s[1]) + " x " + std::to_string(s[2]);
}

// Mean of the values that are not NaN; NaN when none is.
double defined_mean(const std::vector<double>& values) {
  double sum = 0;
  int count = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++count;
    }
  return count ? sum / count : std::nan("");
}

// One case as stored: the whole stored grid (image and mask) and the case's extent in it.
struct StoredCase {
  std::vector<float> image;          // [C, D, H, W] of the stored grid
  std::vector<std::uint8_t> mask;    // [D, H, W] of the stored grid
  Size3 extent{0, 0, 0};
};

class Segmentation : public TrainingTask {
 public:
  explicit Segmentation(const TaskContext& context)
      : TrainingTask(context), trainer_(context.config.trainer), classes_(context.manifest.classes) {
    const Config& config = context.config;
    num_classes_ = static_cast<int>(classes_.size());
    if (num_classes_ < 2)
      GALIEN_USER_ERROR(context.shard_dir << "/manifest.json: a segmentation dataset needs at "
                        << "least 2 classes (background and one structure), found "
                        << num_classes_ << "; check data.classes and re-shard");
    const std::vector<std::int64_t>& image = context.spec.image;
    if (image.size() != 4)
      GALIEN_USER_ERROR(context.shard_dir << ": segmentation needs images and masks "
                        << "[C, D, H, W] (NIfTI cases); these shards hold "
                        << (image.empty() ? std::string("no images") : "images of " +
                            std::to_string(image.size() - 1) + " spatial axes"));
    channels_ = image[0];
    stored_ = {image[1], image[2], image[3]};
    const auto& p = trainer_.patch_size;
    const std::string where = config.origin_of("trainer.patch_size");
    if (p.size() == 3) {
      patch_ = {p[0], p[1], p[2]};
    } else if (p.size() == 2) {
      patch_ = {1, p[0], p[1]};
      planar_ = true;
    } else if (p.empty()) {
      patch_ = stored_;
    } else {
      GALIEN_USER_ERROR(where << ": trainer.patch_size has " << p.size() << " entries: give "
                        << "[D, H, W] (3-D patches, unet3d) or [H, W] (2-D patches, unet2d)");
    }
    if (config.model.name == "unet2d" && !planar_)
      GALIEN_USER_ERROR(where << ": model.name unet2d trains on 2-D patches: set "
                        << "trainer.patch_size: [H, W] (slices of the volumes)");
    if (config.model.name == "unet3d" && planar_)
      GALIEN_USER_ERROR(where << ": trainer.patch_size [H, W] cuts 2-D patches, which unet3d "
                        << "does not take: give [D, H, W], or use model.name: unet2d");
    const AugmentConfig& augment = config.augment;
    if (augment.crop_padding > 0)
      GALIEN_USER_ERROR(config.origin_of("augment.crop_padding")
                        << ": augment.crop_padding does not apply to segmentation (patches are "
                        << "already placed at random): remove it");
    if (augment.rotate90 && patch_[1] != patch_[2])
      GALIEN_USER_ERROR(config.origin_of("augment.rotate90")
                        << ": augment.rotate90 turns patches in the H-W plane and needs square "
                        << "patches; trainer.patch_size is " << size_text(patch_));
    settings_.patch = patch_;
    settings_.foreground_fraction = trainer_.foreground_fraction;
    settings_.augment = augment;
    settings_.seed = trainer_.seed;
    spec_.num_classes = num_classes_;
    spec_.num_outputs = num_classes_;
    spec_.image = planar_ ? std::vector<std::int64_t>{channels_, patch_[1], patch_[2]}
                          : std::vector<std::int64_t>{channels_, patch_[0], patch_[1], patch_[2]};
    windows_ = {patch_, trainer_.inference_overlap, trainer_.inference_gaussian,
                trainer_.inference_mirror, planar_,
                std::max<std::int64_t>(1, trainer_.batch_size / std::max(1, comm_.size()))};
    spacing_ = manifest_spacing(context.manifest);
    warn_absent_classes(context.manifest);
  }

  std::vector<std::string> batch_fields() const override { return {"/image", "/mask", "/extent"}; }
  bool reads_whole_images() const override { return false; }
  bool augments_itself() const override { return true; }
  bool writes_volumes() const override { return true; }

  void check_train_split(const RankShards& train) const override {
    if (trainer_.patch_padding) return;
    std::int64_t smaller = 0;
    std::string example;
    for (const SampleRef& s : train.all_owned_samples()) {
      const Size3 e = train.extent(s);
      if (e[0] >= patch_[0] && e[1] >= patch_[1] && e[2] >= patch_[2]) continue;
      if (smaller++ == 0)
        example = "shard " + std::to_string(s.shard) + " row " + std::to_string(s.index) +
                  " is " + size_text(e);
    }
    if (smaller > 0)
      GALIEN_USER_ERROR("trainer.patch_padding is false, but " << smaller << " train case(s) "
                        << "of this rank are smaller than trainer.patch_size " << size_text(patch_)
                        << " along some axis (e.g. " << example << "); set "
                        << "trainer.patch_padding: true or a smaller trainer.patch_size");
  }

  void load_fields(const RankShards& shards, const RankBatch& part, Batch& batch,
                   const torch::TensorOptions& options) const override {
    const auto n = static_cast<std::int64_t>(part.samples.size());
    batch.image = torch::zeros({n, channels_, patch_[0], patch_[1], patch_[2]},
                               options.dtype(torch::kFloat32));
    batch.mask = torch::zeros({n, patch_[0], patch_[1], patch_[2]}, options.dtype(torch::kInt64));
    StoredCase stored;
    for (std::int64_t i = 0; i < n; ++i) {
      const SampleRef& sample = part.samples[static_cast<std::size_t>(i)];
      read_case(shards, sample, stored);
      const PatchPlan plan = plan_patch(settings_, stored.mask.data(), stored_, stored.extent,
                                        num_classes_, sample, part.epoch);
      cut(stored, plan, batch.image[i], batch.mask[i]);
    }
    if (planar_) {
      batch.image = batch.image.squeeze(2);
      batch.mask = batch.mask.squeeze(1);
    }
  }

  bool evaluate_samples(Model& model, const RankShards& shards, const std::vector<SampleRef>& samples,
                        torch::Device device, EvalValues& mine) const override {
    StoredCase stored;
    for (const SampleRef& sample : samples) {
      read_case(shards, sample, stored);
      const Size3& e = stored.extent;
      const torch::Tensor volume = stored_image(stored).narrow(1, 0, e[0]).narrow(2, 0, e[1])
                                       .narrow(3, 0, e[2]).contiguous();
      const torch::Tensor truth = stored_mask(stored).narrow(0, 0, e[0]).narrow(1, 0, e[1])
                                      .narrow(2, 0, e[2]).contiguous();
      const torch::Tensor logits =
          sliding_window_logits(model, volume, num_classes_, windows_, device);
      LossInputs in{logits.unsqueeze(0), truth.to(torch::kInt64).unsqueeze(0)};
      append_floats(mine.floats[0], loss_.terms(in));
      const torch::Tensor predicted = logits.argmax(0).to(torch::kUInt8).contiguous();
      const OverlapScores scores = overlap_scores(predicted.data_ptr<std::uint8_t>(),
                                                  truth.data_ptr<std::uint8_t>(), e,
                                                  case_spacing(shards, sample), num_classes_);
      for (double d : scores.dice) mine.floats[1].push_back(static_cast<float>(d));
      for (double h : scores.hd95) mine.floats[2].push_back(static_cast<float>(h));
      if (volume_sink_) volume_sink_(shards, sample, logits);
    }
    return true;
  }

  int eval_columns() const override { return 3; }  // loss per case; Dice, HD95 per case x class

  void collect(const torch::Tensor&, const Batch&, EvalValues&) const override {
    GALIEN_CHECK(false, "segmentation evaluates whole cases (evaluate_samples), not batches");
  }

  void summarise(const EvalValues& all, Evaluation& result) const override {
    const std::size_t cases = all.floats[0].size(), f = static_cast<std::size_t>(num_classes_ - 1);
    GALIEN_CHECK(all.floats[1].size() == cases * f && all.floats[2].size() == cases * f,
                 "segmentation scores per case and class");
    result.metrics["loss"] = defined_mean(to_doubles(all.floats[0]));
    result.metrics["cases"] = static_cast<double>(cases);
    Predictions& p = result.predictions;
    p.columns.push_back("loss");
    p.values.push_back(to_doubles(all.floats[0]));
    std::vector<double> dice_means, hd95_means;
    for (std::size_t c = 0; c < f; ++c) {
      std::vector<double> dice, hd95;
      for (std::size_t i = 0; i < cases; ++i) {
        dice.push_back(all.floats[1][i * f + c]);
        hd95.push_back(all.floats[2][i * f + c]);
      }
      const std::string& name = classes_[c + 1];
      result.metrics["dice/" + name] = defined_mean(dice);
      result.metrics["hd95/" + name] = defined_mean(hd95);
      dice_means.push_back(result.metrics["dice/" + name]);
      hd95_means.push_back(result.metrics["hd95/" + name]);
      p.columns.push_back("dice_" + name);
      p.values.push_back(dice);
      p.columns.push_back("hd95_" + name);
      p.values.push_back(hd95);
    }
    result.metrics["dice"] = defined_mean(dice_means);  // mean over foreground classes
    result.metrics["hd95"] = defined_mean(hd95_means);
  }

 protected:
  LossInputs loss_inputs(const torch::Tensor& output, const Batch& batch) const override {
    return LossInputs{output, batch.mask};
  }

 private:
  // The case's voxel spacing on the stored grid (mm, D H W), from its /image_meta; shards
  // without it fall back to the dataset's resampled spacing, else 1 mm (HD95 in voxels).
  std::array<double, 3> case_spacing(const RankShards& shards, const SampleRef& sample) const {
    const std::string meta = shards.image_meta(sample);
    if (meta.empty()) return spacing_;
    const ImageAttributes attributes = parse_image_attributes(meta);
    for (double s : attributes.grid_spacing)
      if (!(s > 0)) return spacing_;
    return attributes.grid_spacing;
  }

  // The stored grid's voxel spacing (mm, D H W) from the manifest's images block, when the
  // dataset was resampled to one; else 1 mm.
  static std::array<double, 3> manifest_spacing(const Manifest& manifest) {
    std::array<double, 3> spacing{1.0, 1.0, 1.0};
    if (manifest.images.empty()) return spacing;
    const auto images = nlohmann::json::parse(manifest.images, nullptr, false);
    if (images.is_object() && images.contains("spacing_mm") && images["spacing_mm"].size() == 3)
      for (int a = 0; a < 3; ++a) spacing[a] = images["spacing_mm"][a].get<double>();
    return spacing;
  }

  void warn_absent_classes(const Manifest& manifest) const {
    auto train = manifest.splits.find("train");
    if (train == manifest.splits.end()) return;
    const auto& counts = train->second.class_counts;
    if (counts.size() != classes_.size()) return;
    for (std::size_t c = 1; c < counts.size(); ++c)
      if (counts[c] == 0)
        log::info0("warning: class '{}' (label {}) is in no case of the train split: the model "
                   "cannot learn it, and its Dice on val/test will be 0 or undefined",
                   classes_[c], c);
  }

  void read_case(const RankShards& shards, const SampleRef& sample, StoredCase& out) const {
    const std::int64_t voxels = stored_[0] * stored_[1] * stored_[2];
    out.image.resize(static_cast<std::size_t>(channels_ * voxels));
    shards.gather_images({sample}, out.image.data());
    out.mask.resize(static_cast<std::size_t>(voxels));
    shards.read_mask(sample, out.mask.data());  // the stored bytes, no int64 copy
    out.extent = shards.extent(sample);
  }

  torch::Tensor stored_image(StoredCase& c) const {
    return torch::from_blob(c.image.data(), {channels_, stored_[0], stored_[1], stored_[2]});
  }
  torch::Tensor stored_mask(StoredCase& c) const {
    return torch::from_blob(c.mask.data(), {stored_[0], stored_[1], stored_[2]}, torch::kUInt8);
  }

  // The patch of `plan` into `image` [C, pd, ph, pw] and `mask` [pd, ph, pw] (zero-filled
  // where the patch runs past the case), then its augmentation.
  void cut(StoredCase& c, const PatchPlan& plan, torch::Tensor image, torch::Tensor mask) const {
    torch::Tensor from_image = stored_image(c), from_mask = stored_mask(c);
    torch::Tensor to_image = image, to_mask = mask;
    for (int a = 0; a < 3; ++a) {
      const std::int64_t begin = std::max<std::int64_t>(0, plan.origin[a]);
      const std::int64_t end = std::min(c.extent[a], plan.origin[a] + patch_[a]);
      GALIEN_CHECK(end > begin, "a patch outside its case");
      from_image = from_image.narrow(a + 1, begin, end - begin);
      from_mask = from_mask.narrow(a, begin, end - begin);
      to_image = to_image.narrow(a + 1, begin - plan.origin[a], end - begin);
      to_mask = to_mask.narrow(a, begin - plan.origin[a], end - begin);
    }
    to_image.copy_(from_image);
    to_mask.copy_(from_mask);
    for (int a = 0; a < 3; ++a)
      if (plan.flip[a]) {
        image.copy_(image.flip({a + 1}));
        mask.copy_(mask.flip({a}));
      }
    if (plan.quarter_turns) {
      image.copy_(image.rot90(plan.quarter_turns, {2, 3}));
      mask.copy_(mask.rot90(plan.quarter_turns, {1, 2}));
    }
    if (plan.scale != 1.0 || plan.shift != 0.0) image.mul_(plan.scale).add_(plan.shift);
  }

  const TrainerConfig& trainer_;
  std::vector<std::string> classes_;
  int num_classes_ = 0;
  std::int64_t channels_ = 1;
  Size3 stored_{1, 1, 1}, patch_{1, 1, 1};
  bool planar_ = false;
  PatchSettings settings_;
  WindowSettings windows_;
  std::array<double, 3> spacing_{1.0, 1.0, 1.0};
};

}  // namespace

std::unique_ptr<TrainingTask> make_segmentation_task(const TaskContext& context) {
  return std::make_unique<Segmentation>(context);
}

}  // namespace galien
