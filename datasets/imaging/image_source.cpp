#include "datasets/imaging/image_source.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/hash.h"

namespace galien {

std::unique_ptr<ImageSource> open_image_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize) {
  if (config.image_path.empty()) {
    GALIEN_USER_ERROR("data.images.path is not set: name the images of data.images.format "
                      << config.image_format);
  }
  const std::string& f = config.image_format;
  if (f == "dicom") return open_dicom_source(config, pseudonymize);
  if (f == "nifti") return open_nifti_source(config, pseudonymize);
  if (f == "png") return open_png_source(config, pseudonymize);
  if (f == "medmnist") return open_medmnist_source(config, pseudonymize);
  if (f == "idx") return open_idx_source(config, pseudonymize);
  GALIEN_USER_ERROR("data.images.format '" << f << "' is not an image format");
}

LoadedImage ImageSource::geometry(std::size_t item) const {
  LoadedImage loaded = load(item);
  loaded.image.voxels = {};
  if (loaded.mask) loaded.mask->voxels = {};
  return loaded;
}

std::vector<std::size_t> ImageSource::items_named(const std::string& /*value*/) const {
  GALIEN_USER_ERROR("data.images.join_column is for dicom and nifti images; this format names "
                    "its images otherwise (docs/imaging.md): remove it");
}

std::string hash_files(const std::string& root, std::vector<std::string> files) {
  std::sort(files.begin(), files.end());
  std::string listing;
  for (const std::string& file : files) {
    listing += std::filesystem::relative(file, root).generic_string() + '\0' +
               sha256_file_hex(file) + '\n';
  }
  return sha256_hex(listing);
}

std::string base_name(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  return std::filesystem::path(trimmed).filename().string();
}

std::vector<std::string> class_names(const DataConfig& config, std::int64_t count,
                                     const std::string& what) {
  if (!config.classes.empty()) {
    if (static_cast<std::int64_t>(config.classes.size()) != count) {
      GALIEN_USER_ERROR("data.classes names " << config.classes.size() << " classes but " << what
                                              << " has " << count << ": name each class once, "
                                              << "in label order, or leave data.classes empty");
    }
    return config.classes;
  }
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < count; ++c) names.push_back(std::to_string(c));
  return names;
}

}  // namespace galien
