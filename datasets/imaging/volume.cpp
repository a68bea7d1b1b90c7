#include "datasets/imaging/volume.h"

#include <nlohmann/json.hpp>

namespace galien {

std::string Volume::shape_text() const {
  std::string text = "[" + std::to_string(channels) + ", ";
  if (volumetric || depth != 1) text += std::to_string(depth) + ", ";
  return text + std::to_string(height) + ", " + std::to_string(width) + "]";
}

std::string ImageAttributes::to_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!modality.empty()) j["modality"] = modality;
  if (rows > 0) j["rows"] = rows;
  if (columns > 0) j["columns"] = columns;
  if (slices > 0) j["slices"] = slices;
  if (spacing[1] > 0) j["spacing_mm"] = {spacing[0], spacing[1], spacing[2]};
  if (slice_thickness > 0) j["slice_thickness_mm"] = slice_thickness;
  if (rescale_slope != 1 || rescale_intercept != 0) {
    j["rescale_slope"] = rescale_slope;
    j["rescale_intercept"] = rescale_intercept;
  }
  if (!photometric.empty()) j["photometric_interpretation"] = photometric;
  if (bits_stored > 0) j["bits_stored"] = bits_stored;
  if (!orientation.empty()) j["orientation"] = orientation;
  return j.dump();
}

}  // namespace galien
