#include "trainers/checkpoint.h"

#include <torch/serialize.h>

#include <sstream>

#include "core/error.h"
#include "core/fs.h"

namespace galien {

void save_model_checkpoint(Model& model, const std::string& path) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  write_file_atomic(path, bytes.str());
}

void load_model_checkpoint(Model& model, const std::string& path) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    GALIEN_USER_ERROR("cannot load checkpoint " << path << ": " << e.what_without_backtrace());
  }
  model.load(archive);
}

}  // namespace galien
