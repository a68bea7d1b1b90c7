#include "datasets/imaging/volume.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.h"

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
  if (source_shape[0] > 0) j["source_shape"] = {source_shape[0], source_shape[1], source_shape[2]};
  if (affine.size() == 16) {
    nlohmann::ordered_json rows_json = nlohmann::ordered_json::array();
    for (int r = 0; r < 4; ++r) {
      rows_json.push_back({affine[4 * r], affine[4 * r + 1], affine[4 * r + 2], affine[4 * r + 3]});
    }
    j["affine"] = rows_json;
    j["affine_code"] = affine_code;
  }
  if (grid_spacing[1] > 0) {
    j["grid_spacing_mm"] = {grid_spacing[0], grid_spacing[1], grid_spacing[2]};
  }
  return j.dump();  // doubles as their shortest round-trip text: parsing gives the same bits
}

namespace {

using Json = nlohmann::json;

[[noreturn]] void damaged(const std::string& key, const std::string& why) {
  GALIEN_USER_ERROR("/image_meta key '" << key << "' " << why << ": the shard's image "
                    << "attributes are damaged; re-run `galien shard` for this dataset");
}

double number(const Json& j, const std::string& key) {
  if (!j.is_number() || !std::isfinite(j.get<double>())) damaged(key, "is not a finite number");
  return j.get<double>();
}

std::int64_t integer(const Json& j, const std::string& key) {
  if (!j.is_number_integer()) damaged(key, "is not an integer");
  return j.get<std::int64_t>();
}

std::string text(const Json& j, const std::string& key) {
  if (!j.is_string()) damaged(key, "is not a string");
  return j.get<std::string>();
}

std::array<double, 3> triple(const Json& j, const std::string& key) {
  if (!j.is_array() || j.size() != 3) damaged(key, "is not a list of 3 numbers");
  return {number(j[0], key), number(j[1], key), number(j[2], key)};
}

}  // namespace

ImageAttributes parse_image_attributes(const std::string& json) {
  ImageAttributes a;
  if (json.empty()) return a;
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    GALIEN_USER_ERROR("/image_meta entry is not a JSON object: the shard's image attributes are "
                      << "damaged; re-run `galien shard` for this dataset");
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "modality") a.modality = text(value, key);
    else if (key == "rows") a.rows = integer(value, key);
    else if (key == "columns") a.columns = integer(value, key);
    else if (key == "slices") a.slices = integer(value, key);
    else if (key == "spacing_mm") a.spacing = triple(value, key);
    else if (key == "slice_thickness_mm") a.slice_thickness = number(value, key);
    else if (key == "rescale_slope") a.rescale_slope = number(value, key);
    else if (key == "rescale_intercept") a.rescale_intercept = number(value, key);
    else if (key == "photometric_interpretation") a.photometric = text(value, key);
    else if (key == "bits_stored") a.bits_stored = integer(value, key);
    else if (key == "orientation") a.orientation = text(value, key);
    else if (key == "affine_code") a.affine_code = static_cast<int>(integer(value, key));
    else if (key == "source_shape") {
      if (!value.is_array() || value.size() != 3) damaged(key, "is not a list of 3 sizes");
      for (std::size_t i = 0; i < 3; ++i) {
        a.source_shape[i] = integer(value[i], key);
        if (a.source_shape[i] < 1) damaged(key, "holds a size below 1");
      }
    } else if (key == "affine") {
      if (!value.is_array() || value.size() != 4) damaged(key, "is not 4 rows of 4 numbers");
      for (const Json& row : value) {
        if (!row.is_array() || row.size() != 4) damaged(key, "is not 4 rows of 4 numbers");
        for (const Json& x : row) a.affine.push_back(number(x, key));
      }
    } else if (key == "grid_spacing_mm") {
      a.grid_spacing = triple(value, key);
      for (double s : a.grid_spacing) {
        if (!(s > 0)) damaged(key, "holds a spacing that is not positive");
      }
    }
  }
  if (!a.affine.empty() && a.source_shape[0] == 0) {
    damaged("affine", "comes without 'source_shape' (the grid it maps)");
  }
  return a;
}

}  // namespace galien
