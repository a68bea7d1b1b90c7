#include "datasets/imaging/segmentation_cases.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"

namespace galien {

void check_segmentation_config(const DataConfig& config) {
  if (config.image_format != "nifti") {
    GALIEN_USER_ERROR("data.task: segmentation needs a label mask per case, which only NIfTI "
                      << "cases in the imagesTr/ + labelsTr/ layout give (data.images.format: "
                      << "nifti); data.images.format is " << config.image_format
                      << " (docs/imaging.md, \"Segmentation datasets\")");
  }
  const std::vector<std::string>& classes = config.classes;
  if (classes.size() < 2) {
    GALIEN_USER_ERROR("data.task: segmentation needs data.classes naming the mask values in "
                      << "order, background first, e.g. [background, liver, tumour] for values "
                      << "0, 1, 2: at least 2 names (data.classes has " << classes.size() << ")");
  }
  if (classes.size() > 256) {
    GALIEN_USER_ERROR("data.classes names " << classes.size() << " classes; masks are stored "
                                            << "as uint8, so at most 256 (values 0 to 255)");
  }
  std::set<std::string> seen;
  for (const std::string& name : classes) {
    if (name.empty()) GALIEN_USER_ERROR("data.classes has an empty name: name every class");
    if (!seen.insert(name).second) {
      GALIEN_USER_ERROR("data.classes names '" << name << "' twice: one name per mask value");
    }
  }
  if (!config.csv.empty()) {
    GALIEN_USER_ERROR("data.csv is set with data.task: segmentation: the masks are the target "
                      << "and clinical features are not joined to segmentation cases in this "
                      << "version; remove data.csv");
  }
}

void check_source_has_masks(const ImageSource& source, const DataConfig& config) {
  if (!source.has_mask) {
    GALIEN_USER_ERROR("data.images.path " << config.image_path << " has no labelsTr folder: "
                                          << "data.task: segmentation needs one mask per case, "
                                          << "labelsTr/<case>.nii.gz named like its image in "
                                          << "imagesTr/");
  }
}

void check_mask_labels(const Volume& mask, const std::vector<std::string>& classes,
                       const std::string& origin) {
  const auto k = static_cast<float>(classes.size());
  bool bad = false;
  for (float v : mask.voxels) {
    if (!(v >= 0.0f && v < k && v == std::floor(v))) {
      bad = true;
      break;
    }
  }
  if (!bad) return;
  std::set<float> found;  // distinct values, for the message; stops growing at a bound
  bool nan = false;
  for (float v : mask.voxels) {
    if (found.size() >= 4096) break;
    if (std::isnan(v)) {
      nan = true;
    } else {
      found.insert(v);
    }
  }
  std::ostringstream values;
  std::size_t shown = 0;
  for (float v : found) {
    if (shown == 16) break;
    values << (shown++ ? ", " : "") << v;
  }
  if (found.size() > shown) {
    values << ", ... (" << found.size() << (found.size() >= 4096 ? " or more" : "")
           << " distinct values)";
  }
  if (nan) values << ", NaN";
  std::ostringstream names;
  for (std::size_t c = 0; c < classes.size() && c < 8; ++c) {
    names << (c ? ", " : "") << c << " = " << classes[c];
  }
  if (classes.size() > 8) names << ", ...";
  GALIEN_USER_ERROR(origin << ": the mask (labelsTr) holds the values " << values.str()
                           << " but data.classes names " << classes.size()
                           << " classes, so the allowed values are the integers 0 to "
                           << classes.size() - 1 << " (" << names.str()
                           << "): name every label value in data.classes, in value order, or "
                           << "fix the mask");
}

CaseSizes measure_cases(const ImageSource& source, const ImageSamples& samples,
                        const ImageTransform& transform) {
  CaseSizes sizes;
  GALIEN_CHECK(!samples.items.empty(), "no samples to measure");
  ImageLayout layout;
  for (std::size_t s = 0; s < samples.items.size(); ++s) {
    const std::size_t item = samples.items[s];
    LoadedImage geometry = source.geometry(item);
    const std::string& origin = source.items[item].origin;
    if (s == 0) {
      sizes.first = geometry.image;
      layout = transform.layout(geometry.image);
    }
    if (geometry.mask) check_mask_geometry(geometry.image, *geometry.mask, origin);
    std::array<std::int64_t, 3> size = transform.stored_size(geometry.image, layout, origin);
    sizes.stored.push_back(size);
    for (std::size_t a = 0; a < 3; ++a) sizes.largest[a] = std::max(sizes.largest[a], size[a]);
  }
  return sizes;
}

void count_present_classes(const std::uint8_t* mask, const std::array<std::int64_t, 3>& extent,
                           const std::array<std::int64_t, 3>& shape,
                           std::vector<std::int64_t>& counts) {
  std::vector<bool> present(256, false);
  for (std::int64_t k = 0; k < extent[0]; ++k) {
    for (std::int64_t j = 0; j < extent[1]; ++j) {
      const std::uint8_t* row = mask + (k * shape[1] + j) * shape[2];
      for (std::int64_t i = 0; i < extent[2]; ++i) present[row[i]] = true;
    }
  }
  for (std::size_t c = 0; c < counts.size(); ++c) counts[c] += present[c] ? 1 : 0;
}

std::vector<std::string> absent_classes(const std::vector<std::string>& classes,
                                        const std::vector<std::int64_t>& train_counts) {
  std::vector<std::string> absent;
  for (std::size_t c = 0; c < classes.size() && c < train_counts.size(); ++c) {
    if (train_counts[c] == 0) absent.push_back(classes[c]);
  }
  return absent;
}

}  // namespace galien
