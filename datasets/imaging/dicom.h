// DICOM series through DCMTK. Files under a folder are grouped into series by
// SeriesInstanceUID, slices ordered by ImagePositionPatient projected on the slice normal (from
// ImageOrientationPatient), then InstanceNumber; pixels get Rescale Slope/Intercept (CT in HU).
// The volume is then reoriented from LPS to RAS+ by permuting and flipping axes (orientation.h).
//
// Privacy (DICOM PS3.15 Annex E): only pixel data and an allow-list of non-identifying
// attributes (ImageAttributes) are copied out of a file. Identifying values are read for two
// purposes only and never leave this module: SeriesInstanceUID groups files (an in-memory key)
// and PatientID, when it is the configured patient key, is pseudonymised at once. Errors never
// quote the value of an attribute, and name a file without its identifiers (safe_path.h): by
// its path relative to the root with every folder or file name that holds the PatientID, a
// PatientName part or the AccessionNumber (or OtherPatientIDs) of that file or its series shown
// as <redacted>, or, when those values could not be read, by its rank among the sorted files.
// DCMTK's own logging is switched off, since its warnings may quote element values.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/imaging/volume.h"

namespace galien {

struct DicomSeries {
  std::string pseudonym;           // of the series' patient
  std::vector<std::string> files;  // in slice order
  // How messages name each file (same order), built while the identifiers were at hand:
  // "'a/<redacted>/3.dcm' under data.images.path". No raw identifier is kept.
  std::vector<std::string> shown;
  std::int64_t rows = 0, columns = 0, frames = 0;
  // SeriesInstanceUID, kept in memory for data.images.join_column only (a table may name a series
  // by it); like every UID, never written, logged or put in a message.
  std::string uid;
};

// Turns a file's patient key into its pseudonym. `patient_id` is the file's PatientID value
// (possibly empty); the function may instead use `file` (data.images.patient_map). It must
// never store or print `patient_id`. To refuse a file it throws DicomFileProblem, which
// scan_dicom completes with the file's safe name.
using DicomPatientKey =
    std::function<std::string(const std::string& file, const std::string& patient_id)>;

// What is wrong with a file, without its name ("has no PatientID: set ..."): scan_dicom throws
// a UserError "DICOM file <safe name> <what>".
class DicomFileProblem : public UserError {
 public:
  using UserError::UserError;
};

// Raw identifiers a source knows for a file besides its own attributes (the patient_map key),
// used only to redact the file's path in messages.
using DicomFileIdentifiers = std::function<std::vector<std::string>(const std::string& file)>;

// Every regular file under `root` (recursively, sorted; hidden files and DICOMDIR skipped) must
// be a readable DICOM image: anything else is a UserError naming the file safely (above).
// Series in order of their first file.
std::vector<DicomSeries> scan_dicom(const std::string& root, const DicomPatientKey& patient_key,
                                    const DicomFileIdentifiers& extra_identifiers = nullptr);

// The shell command that lists the files scan_dicom reads, in its order ("DIR" standing for
// data.images.path): `... | sed -n '17p'` prints the file that messages call "file 17 of N".
extern const char* const kDicomFileListing;

// The series' voxels in [1, D, H, W] with Rescale Slope/Intercept applied, reoriented to RAS+
// when ImageOrientationPatient and the slice direction are known (Volume::orientation says from
// what; "" = kept as stored), and its allow-listed attributes (geometry as stored). UserError
// naming the file (DicomSeries::shown) for unreadable, truncated or unsupported pixel data.
Volume load_dicom_series(const DicomSeries& series, ImageAttributes* attributes);

}  // namespace galien
