#include "datasets/relink.h"

#include <sstream>

#include "core/error.h"
#include "datasets/csv.h"
#include "datasets/imaging/image_source.h"
#include "privacy/cell.h"
#include "privacy/pseudonym.h"

namespace galien {
namespace {

// RFC 4180: quoted when the field holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::map<std::string, std::string> ids_of_table(const RelinkSource& source,
                                                const Pseudonymizer& pseudonymize) {
  const CsvTable table = read_csv(source.csv);
  const int column = table.column_index(source.id_column);
  if (column < 0) {
    GALIEN_USER_ERROR("relink: --id-column '" << source.id_column << "' is not a column of "
                      << source.csv << " (its header names " << table.header.size()
                      << " columns); give the column that was data.patient_id when sharding");
  }
  std::map<std::string, std::string> ids;
  for (const CsvRow& row : table.rows) {
    // The same patient key as `galien shard` makes (datasets/privacy_step.cpp): the trimmed cell.
    const std::string id(trim_cell(row.fields[static_cast<std::size_t>(column)]));
    ids.emplace(pseudonymize(id), id);
  }
  return ids;
}

std::map<std::string, std::string> ids_of_images(const RelinkSource& source, const SecretKey& key) {
  if (source.image_format != "dicom" && source.image_format != "nifti") {
    GALIEN_USER_ERROR("relink: --format '" << source.image_format << "': relinking images reads "
                      << "DICOM PatientIDs or NIfTI case names; give --format dicom or nifti");
  }
  std::map<std::string, std::string> ids;
  // The image source pseudonymises each patient key exactly as `galien shard` did; the observer
  // keeps the (pseudonym, key) pairs, in memory only.
  const Pseudonymizer recording(key, [&ids](std::string_view raw, const std::string& pseudonym) {
    ids.emplace(pseudonym, std::string(raw));
  });
  DataConfig data;
  data.image_format = source.image_format;
  data.image_path = source.images;
  data.image_patient_map = source.patient_map;
  if (source.image_format == "dicom") {
    open_dicom_source(data, recording);
  } else {
    open_nifti_source(data, recording);
  }
  return ids;
}

}  // namespace

std::map<std::string, std::string> pseudonyms_of_source(const RelinkSource& source,
                                                         const SecretKey& key) {
  if (source.csv.empty() == source.images.empty())
    GALIEN_USER_ERROR("relink: give the source of the IDs: --csv SOURCE.csv --id-column COLUMN, "
                      "or --images DIR --format dicom|nifti (not both)");
  if (!source.csv.empty()) {
    if (source.id_column.empty())
      GALIEN_USER_ERROR("relink: --csv needs --id-column, the column that was data.patient_id");
    return ids_of_table(source, Pseudonymizer(key));
  }
  return ids_of_images(source, key);
}

RelinkResult relink_predictions(const std::string& predictions_path,
                                const std::map<std::string, std::string>& ids,
                                const std::string& id_name, const std::string& source_name) {
  const CsvTable predictions = read_csv(predictions_path);
  if (predictions.header.empty() || predictions.header[0] != "pseudonym") {
    GALIEN_USER_ERROR(predictions_path << ":1: the first column is not 'pseudonym': give a CSV "
                      << "written by `galien predict` or a training run (predictions-SPLIT.csv)");
  }
  std::ostringstream out;
  out << csv_field(id_name);
  for (std::size_t c = 1; c < predictions.header.size(); ++c)
    out << "," << csv_field(predictions.header[c]);
  out << "\n";
  std::int64_t unmatched = 0, first_line = 0;
  for (const CsvRow& row : predictions.rows) {
    auto found = ids.find(row.fields[0]);
    if (found == ids.end()) {
      if (unmatched++ == 0) first_line = row.line;
      continue;
    }
    out << csv_field(found->second);
    for (std::size_t c = 1; c < row.fields.size(); ++c) out << "," << csv_field(row.fields[c]);
    out << "\n";
  }
  if (unmatched > 0) {
    GALIEN_USER_ERROR(predictions_path << ":" << first_line << ": " << unmatched << " of "
                      << predictions.rows.size() << " predictions (this line first) have a "
                      << "pseudonym that no ID of " << source_name << " gives under this key: "
                      << "the source, the ID column or the key is not the one the shards were "
                      << "made with (manifest.json's key_id names the key); nothing was written");
  }
  return {out.str(), static_cast<std::int64_t>(predictions.rows.size())};
}

}  // namespace galien
