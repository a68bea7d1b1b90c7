// DICOM series through DCMTK. Files under a folder are grouped into series by
// SeriesInstanceUID, slices ordered by ImagePositionPatient projected on the slice normal (from
// ImageOrientationPatient), then InstanceNumber; pixels get Rescale Slope/Intercept (CT in HU).
// The volume is then reoriented from LPS to RAS+ by permuting and flipping axes (orientation.h).
//
// Privacy (DICOM PS3.15 Annex E): only pixel data and an allow-list of non-identifying
// attributes (ImageAttributes) are copied out of a file. Identifying values are read for two
// purposes only and never leave this module: SeriesInstanceUID groups files (an in-memory key)
// and PatientID, when it is the configured patient key, is pseudonymised at once. Errors name
// the file (the user's own path) and never the value of an attribute. DCMTK's own logging is
// switched off, since its warnings may quote element values.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "datasets/imaging/volume.h"

namespace galien {

struct DicomSeries {
  std::string pseudonym;           // of the series' patient
  std::vector<std::string> files;  // in slice order
  std::int64_t rows = 0, columns = 0, frames = 0;
};

// Turns a file's patient key into its pseudonym. `patient_id` is the file's PatientID value
// (possibly empty); the function may instead use `file` (data.images.patient_map). It must
// never store or print `patient_id`.
using DicomPatientKey =
    std::function<std::string(const std::string& file, const std::string& patient_id)>;

// Every regular file under `root` (recursively, sorted; hidden files and DICOMDIR skipped) must
// be a readable DICOM image: anything else is a UserError naming the file. Series in order of
// their first file.
std::vector<DicomSeries> scan_dicom(const std::string& root, const DicomPatientKey& patient_key);

// The series' voxels in [1, D, H, W] with Rescale Slope/Intercept applied, reoriented to RAS+
// when ImageOrientationPatient and the slice direction are known (Volume::orientation says from
// what; "" = kept as stored), and its allow-listed attributes (geometry as stored). UserError naming the file for unreadable, truncated or unsupported pixel data.
Volume load_dicom_series(const DicomSeries& series, ImageAttributes* attributes);

}  // namespace galien
