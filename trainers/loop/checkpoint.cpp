#include "trainers/loop/checkpoint.h"

#include <torch/serialize.h>
#include <torch/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"

namespace galien {
namespace {

constexpr const char* kFormat = "galien-checkpoint-v1";
namespace fs = std::filesystem;

std::string step_file_name(std::int64_t step) {
  char name[48];
  std::snprintf(name, sizeof(name), "step-%08lld.pt", static_cast<long long>(step));
  return name;
}

}  // namespace

nlohmann::json TrainingState::to_json() const {
  return {{"epoch", epoch}, {"next_batch", next_batch}, {"step", step},
          {"epoch_loss_sum", epoch_loss_sum}, {"epoch_samples", epoch_samples},
          {"best_metric", best_metric}, {"has_best", has_best},
          {"epochs_without_improvement", epochs_without_improvement}, {"schedule", schedule},
          {"config_sha256", config_sha256}, {"training_sha256", training_sha256},
          {"manifest_sha256", manifest_sha256}};
}

TrainingState TrainingState::from_json(const nlohmann::json& json) {
  TrainingState s;
  s.epoch = json.at("epoch");
  s.next_batch = json.at("next_batch");
  s.step = json.at("step");
  s.epoch_loss_sum = json.at("epoch_loss_sum");
  s.epoch_samples = json.at("epoch_samples");
  s.best_metric = json.at("best_metric");
  s.has_best = json.at("has_best");
  s.epochs_without_improvement = json.at("epochs_without_improvement");
  s.schedule = json.at("schedule");
  s.config_sha256 = json.at("config_sha256");
  s.training_sha256 = json.value("training_sha256", "");  // absent in older checkpoints
  s.manifest_sha256 = json.at("manifest_sha256");
  return s;
}

std::string serialize_checkpoint(Model& model, const torch::optim::Optimizer& optimizer,
                                 const TrainingState& state) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("state", c10::IValue(state.to_json().dump()));
  archive.write("rng_cpu", torch::globalContext().defaultGenerator(torch::kCPU).get_state());
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

TrainingState load_checkpoint(const std::string& path, Model& model,
                              torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive archive, model_archive, optimizer_archive;
  c10::IValue format, state;
  torch::Tensor rng;
  try {
    archive.load_from(path);
    archive.read("format", format);
    if (!format.isString() || format.toStringRef() != kFormat)
      GALIEN_USER_ERROR(path << " is not a galien training checkpoint (" << kFormat << ")");
    archive.read("state", state);
    archive.read("rng_cpu", rng);
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
  } catch (const c10::Error& e) {
    GALIEN_USER_ERROR("cannot load checkpoint " << path << ": " << e.what_without_backtrace()
                      << " (the file is damaged or not a checkpoint; pass trainer.resume=never "
                      << "to start over)");
  }
  model.load(model_archive);
  optimizer.load(optimizer_archive);
  auto generator = torch::globalContext().defaultGenerator(torch::kCPU);
  generator.set_state(rng);
  return TrainingState::from_json(nlohmann::json::parse(state.toStringRef()));
}

void save_model_checkpoint(Model& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

// LibTorch's Module::load replaces a parameter by the stored tensor whatever its shape, so a
// checkpoint of another architecture would load "successfully" into the wrong model.
void check_shapes_unchanged(Model& model, const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& before,
                            const std::string& path) {
  std::size_t i = 0;
  for (const auto& p : model.named_parameters()) {
    const auto shape = p.value().sizes().vec();
    if (i >= before.size() || before[i].second != shape)
      GALIEN_USER_ERROR(path << " holds parameter " << p.key() << " with shape "
                        << c10::str(p.value().sizes()) << ", but model " << model.name()
                        << " of this config has " << (i < before.size() ? c10::str(c10::IntArrayRef(before[i].second)) : "no such parameter")
                        << ": use the config the run was trained with (its run directory has config.yaml)");
    ++i;
  }
}

void load_model_checkpoint(Model& model, const std::string& path) {
  torch::serialize::InputArchive archive, model_archive;
  c10::IValue format;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes;
  for (const auto& p : model.named_parameters()) shapes.emplace_back(p.key(), p.value().sizes().vec());
  try {
    archive.load_from(path);
    // A training checkpoint (step-N.pt, best.pt, last.pt) keeps the weights in "model";
    // final.pt holds the weights alone.
    if (archive.try_read("format", format)) {
      archive.read("model", model_archive);
      model.load(model_archive);
    } else {
      model.load(archive);
    }
  } catch (const c10::Error& e) {
    GALIEN_USER_ERROR("cannot load the weights in " << path << " into model " << model.name()
                      << ": " << e.what_without_backtrace() << " (a checkpoint of another model "
                      << "or config? use the config the run was trained with)");
  }
  check_shapes_unchanged(model, shapes, path);
}

CheckpointStore::CheckpointStore(std::string dir, int keep) : dir_(std::move(dir)), keep_(keep) {
  make_directories(dir_);
}

std::string CheckpointStore::save_step(const std::string& bytes, std::int64_t step) {
  const std::string name = step_file_name(step);
  write_file_atomic(dir_ + "/" + name, bytes);
  // Swap the link atomically: a new symlink under a temporary name, renamed over last.pt.
  const std::string tmp = dir_ + "/.last.pt.tmp-" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(name.c_str(), tmp.c_str()) != 0 ||
      ::rename(tmp.c_str(), (dir_ + "/last.pt").c_str()) != 0)
    GALIEN_USER_ERROR("cannot update " << dir_ << "/last.pt");
  std::vector<std::string> steps;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("step-", 0) == 0 && file.size() > 3 && file.substr(file.size() - 3) == ".pt")
      steps.push_back(file);
  }
  std::sort(steps.begin(), steps.end());  // zero-padded: lexical order is step order
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < steps.size(); ++i)
    if (steps[i] != name) fs::remove(dir_ + "/" + steps[i]);
  return dir_ + "/" + name;
}

void CheckpointStore::save_named(const std::string& bytes, const std::string& name) {
  write_file_atomic(dir_ + "/" + name, bytes);
}

std::string CheckpointStore::last() const {
  const std::string path = dir_ + "/last.pt";
  return fs::exists(path) ? path : std::string();
}

}  // namespace galien
