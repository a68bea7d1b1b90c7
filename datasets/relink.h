// `galien relink`: predictions keyed by pseudonym joined back to the source IDs. This runs on the
// data controller's machine only: it recomputes pseudonyms from the source's IDs with the
// controller key (a data key cannot, by design: docs/PRIVACY.md, "Who holds which key").
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "privacy/key_file.h"

namespace galien {

// Where the source IDs are: a clinical table and its ID column, or an image folder as `galien
// shard` read it (data.images.format dicom or nifti, with data.images.patient_map if one was used).
struct RelinkSource {
  std::string csv;
  std::string id_column;
  std::string images;
  std::string image_format;  // "dicom" | "nifti" (with `images`)
  std::string patient_map;   // optional, as data.images.patient_map
};

// pseudonym -> source ID for every ID of `source`, under the controller key `key`.
std::map<std::string, std::string> pseudonyms_of_source(const RelinkSource& source,
                                                         const SecretKey& key);

struct RelinkResult {
  std::string csv;              // the predictions with `id_name` instead of the pseudonym column
  std::int64_t rows = 0;
};

// Replaces the first column (`pseudonym`) of every row of the predictions CSV at
// `predictions_path` by its source ID. Any row whose pseudonym no source ID gives stops with
// PREDICTIONS:LINE and the number of such rows (nothing is dropped); the pseudonym is not shown.
RelinkResult relink_predictions(const std::string& predictions_path,
                                const std::map<std::string, std::string>& ids,
                                const std::string& id_name, const std::string& source_name);

}  // namespace galien
