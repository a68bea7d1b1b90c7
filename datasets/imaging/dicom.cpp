#include "datasets/imaging/dicom.h"

#include <dcmtk/config/osconfig.h>  // must come first
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "datasets/imaging/orientation.h"
#include "datasets/imaging/safe_path.h"

// A UserError about DICOM files named as ScanFiles names them (never a path as it is).
#define GALIEN_DICOM_ERROR(stream_expr)                                                \
  do {                                                                                 \
    std::ostringstream galien_dicom_msg_;                                              \
    galien_dicom_msg_ << stream_expr;                                                  \
    throw ::galien::UserError(::galien::with_redaction_note(galien_dicom_msg_.str())); \
  } while (0)

namespace galien {
namespace {

namespace fs = std::filesystem;

// Header values longer than this stay on disk until asked for: the scan reads no pixels.
constexpr Uint32 kHeaderReadLength = 4096;

void init_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Off, not just quieter: DCMTK's warnings can quote element values (names, IDs).
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    DcmRLEDecoderRegistration::registerCodecs();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  });
}

// A code string (Modality, PhotometricInterpretation) kept only if it looks like one: an
// identifier typed into the wrong field must not ride along.
std::string code_string(DcmDataset& data, const DcmTagKey& tag) {
  OFString value;
  if (data.findAndGetOFString(tag, value).bad()) return "";
  std::string text = value.c_str();
  bool ok = !text.empty() && text.size() <= 16 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
  return ok ? text : "";
}

double number(DcmDataset& data, const DcmTagKey& tag, double fallback, unsigned long pos = 0) {
  Float64 value = 0;
  return data.findAndGetFloat64(tag, value, pos).good() && std::isfinite(value) ? value : fallback;
}

std::int64_t integer(DcmDataset& data, const DcmTagKey& tag, std::int64_t fallback) {
  Uint16 u = 0;
  if (data.findAndGetUint16(tag, u).good()) return u;
  Sint32 s = 0;
  if (data.findAndGetSint32(tag, s).good()) return s;
  return fallback;
}

// `name` is how the message names the file: "file '<redacted>/3.dcm' under data.images.path",
// or "file 17 of 230 under data.images.path (...)" (safe_path.h). Never the path itself.
void load(DcmFileFormat& file, const std::string& path, const std::function<std::string()>& name,
          Uint32 read_length) {
  OFCondition status =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, read_length, ERM_autoDetect);
  if (status.bad()) {
    GALIEN_DICOM_ERROR("cannot read DICOM " << name() << ": " << status.text()
                                            << "; it is unreadable, truncated or not DICOM: copy "
                                            << "it again or move it out of data.images.path");
  }
}

// The files of one scan, for naming them in messages.
struct ScanFiles {
  std::string root;
  std::size_t count = 0;
  // A file whose identifying values are unknown: by its rank only.
  std::string ranked(std::size_t index, const std::string& relative) const {
    return ranked_file(index, count, relative, kDicomFileListing);
  }
  // A file whose identifying values were read: its relative path, redacted with `terms`.
  std::string named(std::size_t index, const std::string& relative, bool own_values_read,
                    const std::vector<std::string>& terms) const {
    return own_values_read ? "file " + shown_path(relative, terms) : ranked(index, relative);
  }
};

// Search terms for the identifying values of a file (in memory only, for messages): PatientID,
// OtherPatientIDs, AccessionNumber, PatientName, what the source adds (patient_map key), and the
// study, series, acquisition, content and birth dates in their usual spellings.
std::vector<std::string> identifying_terms(DcmDataset& data, std::vector<std::string> ids) {
  std::vector<std::string> names;
  for (const DcmTagKey& tag : {DCM_PatientID, DCM_RETIRED_OtherPatientIDs, DCM_AccessionNumber}) {
    OFString value;
    if (data.findAndGetOFStringArray(tag, value).good()) ids.emplace_back(value.c_str());
  }
  OFString name;
  if (data.findAndGetOFStringArray(DCM_PatientName, name).good()) names.emplace_back(name.c_str());
  std::vector<std::string> terms = identifier_terms(ids, names);
  // Dates of the file: export trees often name folders <MODALITY>_<STUDYDATE>.
  std::vector<std::string> dates;
  for (const DcmTagKey& tag : {DCM_StudyDate, DCM_SeriesDate, DCM_AcquisitionDate, DCM_ContentDate,
                               DCM_PatientBirthDate}) {
    OFString value;
    if (data.findAndGetOFStringArray(tag, value).good()) dates.emplace_back(value.c_str());
  }
  for (std::string& term : date_terms(dates))
    if (std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(std::move(term));
  return terms;
}

struct Slice {
  std::string file;
  std::size_t index = 0;           // in the sorted file list
  std::string relative;            // to the root; for messages only after redaction
  std::vector<std::string> terms;  // identifying values, as search terms (in memory only)
  std::string shown;               // the file as messages name it (ScanFiles)
  std::string pseudonym;
  bool has_position = false;
  std::array<double, 3> position{};
  std::array<double, 6> orientation{1, 0, 0, 0, 1, 0};
  std::int64_t instance = 0, rows = 0, columns = 0, frames = 1;
  double order = 0;  // position projected on the slice normal
};

Slice read_slice(const std::string& path, std::size_t index, const ScanFiles& files,
                 const DicomPatientKey& patient_key, const DicomFileIdentifiers& extra,
                 std::string& series_uid) {
  Slice slice;
  slice.file = path;
  slice.index = index;
  slice.relative = relative_path(files.root, path);
  DcmFileFormat file;
  // Unreadable: its identifying values are unknown, so it is named by its rank only.
  load(
      file, path, [&] { return files.ranked(index, slice.relative); }, kHeaderReadLength);
  DcmDataset& data = *file.getDataset();
  slice.terms = identifying_terms(data, extra ? extra(path) : std::vector<std::string>{});
  auto name = [&] { return files.named(index, slice.relative, !slice.terms.empty(), slice.terms); };
  if (!data.tagExists(DCM_PixelData)) {
    GALIEN_DICOM_ERROR("DICOM " << name() << " holds no image (no pixel data): move it out of "
                                << "data.images.path");
  }
  OFString uid;
  if (data.findAndGetOFString(DCM_SeriesInstanceUID, uid).bad() || uid.empty()) {
    GALIEN_DICOM_ERROR("DICOM " << name() << " has no SeriesInstanceUID, so its series is "
                                << "unknown: fix or remove the file");
  }
  series_uid = uid.c_str();
  OFString patient_id;
  data.findAndGetOFString(DCM_PatientID, patient_id);
  try {
    slice.pseudonym = patient_key(path, patient_id.c_str());
  } catch (const DicomFileProblem& problem) {
    GALIEN_DICOM_ERROR("DICOM " << name() << " " << problem.what());
  }
  slice.rows = integer(data, DCM_Rows, 0);
  slice.columns = integer(data, DCM_Columns, 0);
  slice.frames = integer(data, DCM_NumberOfFrames, 1);
  slice.instance = integer(data, DCM_InstanceNumber, 0);
  slice.has_position = data.tagExists(DCM_ImagePositionPatient);
  for (unsigned long i = 0; i < 3; ++i) {
    slice.position[i] = number(data, DCM_ImagePositionPatient, 0, i);
  }
  if (data.tagExists(DCM_ImageOrientationPatient)) {
    for (unsigned long i = 0; i < 6; ++i) {
      slice.orientation[i] = number(data, DCM_ImageOrientationPatient, 0, i);
    }
  }
  if (slice.rows <= 0 || slice.columns <= 0 || slice.frames <= 0) {
    GALIEN_DICOM_ERROR("DICOM " << name() << " has no valid Rows/Columns/NumberOfFrames");
  }
  return slice;
}

// Sorted as `kDicomFileListing` lists them (byte order of the paths, as LC_ALL=C sort).
std::vector<std::string> candidate_files(const std::string& root) {
  // The folder itself is not printed: it may be named after a patient, and it is in the config.
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    GALIEN_USER_ERROR("data.images.path is not a directory of DICOM files: set it to the "
                      << "folder that holds them");
  }
  std::vector<std::string> files;
  try {
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.empty() || name[0] == '.' || name == "DICOMDIR") {
        continue;
      }
      files.push_back(entry.path().string());
    }
  } catch (const fs::filesystem_error& e) {  // its what() holds the path
    GALIEN_USER_ERROR("cannot list the files under data.images.path ("
                      << e.code().message() << "): check that every "
                      << "folder in it is readable");
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) GALIEN_USER_ERROR("data.images.path holds no file: check the setting");
  return files;
}

// Names every file of a series for messages, redacting with the values of the whole series.
void name_slices(std::vector<Slice>& slices, const ScanFiles& files) {
  std::vector<std::string> terms;
  for (const Slice& s : slices) {
    for (const std::string& term : s.terms) {
      if (std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(term);
    }
  }
  for (Slice& s : slices) {
    s.shown = files.named(s.index, s.relative, !s.terms.empty(), terms);
    s.terms.clear();
    s.terms.shrink_to_fit();
  }
}

void check_series(const std::vector<Slice>& slices) {
  const Slice& first = slices.front();
  for (const Slice& s : slices) {
    if (s.rows != first.rows || s.columns != first.columns) {
      GALIEN_DICOM_ERROR("DICOM " << s.shown << " has " << s.rows << " x " << s.columns
                                  << " pixels but " << first.shown << " of the same series has "
                                  << first.rows << " x " << first.columns
                                  << ": a series needs one image size; remove the odd file");
    }
    if (s.pseudonym != first.pseudonym) {
      GALIEN_DICOM_ERROR("DICOM " << first.shown << " and " << s.shown
                                  << " are in one series but belong to different patients: "
                                  << "fix the files or data.images.patient_map");
    }
    if (s.has_position != first.has_position) {
      GALIEN_DICOM_ERROR("DICOM " << s.shown << " and " << first.shown << " of one series "
                                  << "differ in having ImagePositionPatient: fix or remove the "
                                  << "odd file");
    }
  }
  if (slices.size() > 1 && first.frames > 1) {
    GALIEN_DICOM_ERROR("DICOM " << first.shown << " is multi-frame and shares its series with "
                                << "other files: use one multi-frame file per series");
  }
}

// Position along the slice normal, then InstanceNumber: the stacking order of the volume.
void order_slices(std::vector<Slice>& slices) {
  const auto& o = slices.front().orientation;
  std::array<double, 3> normal{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5],
                               o[0] * o[4] - o[1] * o[3]};
  for (Slice& s : slices) {
    s.order = s.position[0] * normal[0] + s.position[1] * normal[1] + s.position[2] * normal[2];
  }
  std::stable_sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) {
    if (a.order != b.order) return a.order < b.order;
    return a.instance < b.instance;
  });
}

std::vector<DicomSeries> group_series(const std::string& root,
                                      const std::vector<std::string>& files,
                                      const DicomPatientKey& patient_key,
                                      const DicomFileIdentifiers& extra) {
  const ScanFiles scan{root, files.size()};
  std::map<std::string, std::size_t> index;  // SeriesInstanceUID: in memory only
  std::vector<std::vector<Slice>> groups;
  std::vector<std::string> uids;  // of each group
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string uid;
    Slice slice = read_slice(files[i], i, scan, patient_key, extra, uid);
    auto [it, inserted] = index.emplace(uid, groups.size());
    if (inserted) {
      groups.emplace_back();
      uids.push_back(uid);
    }
    groups[it->second].push_back(std::move(slice));
  }
  std::vector<DicomSeries> series;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::vector<Slice>& slices = groups[g];
    name_slices(slices, scan);
    check_series(slices);
    order_slices(slices);
    DicomSeries s;
    s.pseudonym = slices.front().pseudonym;
    s.rows = slices.front().rows;
    s.columns = slices.front().columns;
    s.uid = std::move(uids[g]);
    for (const Slice& slice : slices) {
      s.files.push_back(slice.file);
      s.shown.push_back(slice.shown);
      s.frames += slice.frames;
    }
    series.push_back(std::move(s));
  }
  return series;
}

// ---- pixels ----

struct PixelFormat {
  std::int64_t bits_allocated = 16, bits_stored = 16;
  bool is_signed = false, inverted = false;
  double slope = 1, intercept = 0;
};

PixelFormat pixel_format(DcmDataset& data, const std::string& name) {
  if (integer(data, DCM_SamplesPerPixel, 1) != 1) {
    GALIEN_DICOM_ERROR("DICOM " << name << " is not a grayscale image (SamplesPerPixel > 1): "
                                << "only single-sample images (CT, MR, PET, X-ray) are read");
  }
  PixelFormat f;
  f.bits_allocated = integer(data, DCM_BitsAllocated, 16);
  f.bits_stored = integer(data, DCM_BitsStored, f.bits_allocated);
  f.is_signed = integer(data, DCM_PixelRepresentation, 0) == 1;
  f.inverted = code_string(data, DCM_PhotometricInterpretation) == "MONOCHROME1";
  f.slope = number(data, DCM_RescaleSlope, 1.0);
  f.intercept = number(data, DCM_RescaleIntercept, 0.0);
  if ((f.bits_allocated != 8 && f.bits_allocated != 16) || f.bits_stored < 1 ||
      f.bits_stored > f.bits_allocated) {
    GALIEN_DICOM_ERROR("DICOM " << name << " has " << f.bits_allocated << "-bit pixels with "
                                << f.bits_stored << " bits stored: only 8 and 16 are read");
  }
  return f;
}

float stored_to_value(std::uint32_t raw, const PixelFormat& f) {
  std::uint32_t mask = (1u << f.bits_stored) - 1u;
  std::uint32_t v = raw & mask;
  if (f.inverted) v = mask - v;  // MONOCHROME1: low values are bright
  double value = v;
  if (f.is_signed && (v >> (f.bits_stored - 1)) & 1u) value -= static_cast<double>(mask) + 1.0;
  return static_cast<float>(value * f.slope + f.intercept);
}

// Appends the file's frames (rows x columns each) to `out`.
void append_pixels(DcmDataset& data, const PixelFormat& f, std::int64_t pixels,
                   const std::string& name, std::vector<float>& out) {
  DcmElement* element = nullptr;
  if (data.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    GALIEN_DICOM_ERROR("DICOM " << name << " has unreadable pixel data: copy the file again");
  }
  std::size_t bytes = static_cast<std::size_t>(pixels * f.bits_allocated / 8);
  Uint8* data8 = nullptr;
  Uint16* data16 = nullptr;
  bool read = f.bits_allocated == 16 ? element->getUint16Array(data16).good() && data16
                                     : element->getUint8Array(data8).good() && data8;
  if (!read && f.bits_allocated == 16) {  // OB-encoded 16-bit pixels: same bytes
    read = element->getUint8Array(data8).good() && data8;
    data16 = reinterpret_cast<Uint16*>(data8);
  }
  if (!read || element->getLength() < bytes) {
    GALIEN_DICOM_ERROR("DICOM " << name << " has truncated pixel data (" << element->getLength()
                                << " bytes, " << bytes << " expected): copy the file again");
  }
  out.reserve(out.size() + static_cast<std::size_t>(pixels));
  for (std::int64_t i = 0; i < pixels; ++i) {
    std::uint32_t raw = f.bits_allocated == 16 ? data16[i] : data8[i];
    out.push_back(stored_to_value(raw, f));
  }
}

// Spacing between slices from the positions; one slice: its thickness.
double slice_spacing(const std::vector<std::array<double, 3>>& positions, double thickness) {
  if (positions.size() < 2) return thickness > 0 ? thickness : 1.0;
  double span = 0;
  for (int k = 0; k < 3; ++k) {
    double d = positions.back()[k] - positions.front()[k];
    span += d * d;
  }
  double spacing = std::sqrt(span) / static_cast<double>(positions.size() - 1);
  return spacing > 0 ? spacing : (thickness > 0 ? thickness : 1.0);
}

void describe(DcmDataset& data, const DicomSeries& series, const PixelFormat& f,
              ImageAttributes& a) {
  a.modality = code_string(data, DCM_Modality);
  a.photometric = code_string(data, DCM_PhotometricInterpretation);
  a.rows = series.rows;
  a.columns = series.columns;
  a.slices = series.frames;
  a.slice_thickness = number(data, DCM_SliceThickness, 0.0);
  a.rescale_slope = f.slope;
  a.rescale_intercept = f.intercept;
  a.bits_stored = f.bits_stored;
}

// The RAS+ directions of the series' columns, rows and slices, from ImageOrientationPatient
// (row and column direction cosines, LPS) and the slice order: slices were sorted along the
// normal row x column, so they run along +normal when the first and last positions differ.
// None when the file has no ImageOrientationPatient, or when the slice direction is unknown
// (slices without ImagePositionPatient, all at one position, or the frames of a multi-frame
// file, whose per-frame positions are not read).
std::optional<AxisDirections> series_directions(const std::optional<std::array<double, 6>>& iop,
                                                const std::vector<std::array<double, 3>>& positions,
                                                bool all_positioned, std::int64_t frames) {
  if (!iop) return std::nullopt;
  const Vector3 row{(*iop)[0], (*iop)[1], (*iop)[2]}, column{(*iop)[3], (*iop)[4], (*iop)[5]};
  const Vector3 normal{row[1] * column[2] - row[2] * column[1],
                       row[2] * column[0] - row[0] * column[2],
                       row[0] * column[1] - row[1] * column[0]};
  if (frames > 1) {
    if (positions.size() < 2 || !all_positioned) return std::nullopt;
    double along = 0;
    for (int k = 0; k < 3; ++k) along += (positions.back()[k] - positions.front()[k]) * normal[k];
    if (along <= 0) return std::nullopt;
  }
  // One slice: its normal stands for the slice axis (only its line matters, not its sense).
  return AxisDirections{lps_to_ras(row), lps_to_ras(column), lps_to_ras(normal)};
}

// The series' voxel-to-world affine, RAS+ mm, 4 x 4 row-major, for voxel (i, j, k) = (column,
// row, slice) as stored: columns step along the row cosine by PixelSpacing[1], rows along the
// column cosine by PixelSpacing[0], slices by the step between the first and last
// ImagePositionPatient (the slice order of the series; a gantry tilt gives a sheared affine, as
// dcm2niix before its tilt correction), from the first slice's position; a single slice steps
// along the normal by its spacing. LPS -> RAS negates the x and y rows. Empty when the
// directions or positions are unknown (series_directions gives none).
std::vector<double> series_affine(const std::array<double, 6>& iop,
                                  const std::vector<std::array<double, 3>>& positions,
                                  const std::array<double, 3>& spacing, const Vector3& normal) {
  Vector3 step = normal;
  if (positions.size() > 1) {
    const double n = static_cast<double>(positions.size() - 1);
    for (int w = 0; w < 3; ++w) step[w] = (positions.back()[w] - positions.front()[w]) / n;
  } else {
    for (double& x : step) x *= spacing[0];
  }
  std::vector<double> affine(16, 0.0);
  affine[15] = 1.0;
  for (int w = 0; w < 3; ++w) {
    const double sign = w < 2 ? -1.0 : 1.0;
    affine[static_cast<std::size_t>(4 * w + 0)] = sign * iop[w] * spacing[2];
    affine[static_cast<std::size_t>(4 * w + 1)] = sign * iop[3 + w] * spacing[1];
    affine[static_cast<std::size_t>(4 * w + 2)] = sign * step[w];
    affine[static_cast<std::size_t>(4 * w + 3)] = sign * positions.front()[w];
  }
  return affine;
}

}  // namespace

const char* const kDicomFileListing =
    "find -H DIR -xtype f ! -name '.*' ! -name DICOMDIR | LC_ALL=C sort";

std::vector<DicomSeries> scan_dicom(const std::string& root, const DicomPatientKey& patient_key,
                                    const DicomFileIdentifiers& extra_identifiers) {
  init_dcmtk();
  return group_series(root, candidate_files(root), patient_key, extra_identifiers);
}

Volume load_dicom_series(const DicomSeries& series, ImageAttributes* attributes) {
  init_dcmtk();
  Volume volume;
  volume.volumetric = true;
  volume.height = series.rows;
  volume.width = series.columns;
  volume.depth = series.frames;
  std::vector<std::array<double, 3>> positions;
  double thickness = 0;
  bool all_positioned = true;
  std::optional<std::array<double, 6>> iop;  // of the first file, which ordered the slices
  for (std::size_t k = 0; k < series.files.size(); ++k) {
    const std::string& path = series.files[k];
    const std::string name =
        k < series.shown.size() ? series.shown[k]
                                : "file " + std::to_string(k + 1) + " of a series (name not shown)";
    DcmFileFormat file;
    load(
        file, path, [&] { return name; }, DCM_MaxReadLength);
    DcmDataset& data = *file.getDataset();
    if (data.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad()) {
      GALIEN_DICOM_ERROR("DICOM " << name << " has compressed pixel data that cannot be "
                                  << "decoded (unsupported transfer syntax or damaged data)");
    }
    PixelFormat f = pixel_format(data, name);
    std::int64_t frames = integer(data, DCM_NumberOfFrames, 1);
    append_pixels(data, f, series.rows * series.columns * frames, name, volume.voxels);
    positions.push_back({number(data, DCM_ImagePositionPatient, 0, 0),
                         number(data, DCM_ImagePositionPatient, 0, 1),
                         number(data, DCM_ImagePositionPatient, 0, 2)});
    all_positioned = all_positioned && data.tagExists(DCM_ImagePositionPatient);
    if (k == 0 && data.tagExists(DCM_ImageOrientationPatient)) {
      iop.emplace();
      for (unsigned long i = 0; i < 6; ++i) {
        (*iop)[i] = number(data, DCM_ImageOrientationPatient, 0, i);
      }
    }
    if (k == 0) {
      thickness = number(data, DCM_SpacingBetweenSlices, number(data, DCM_SliceThickness, 0.0));
      volume.spacing[1] = number(data, DCM_PixelSpacing, 1.0, 0);
      volume.spacing[2] = number(data, DCM_PixelSpacing, 1.0, 1);
      if (attributes) describe(data, series, f, *attributes);
    }
  }
  volume.spacing[0] = series.files.size() > 1 ? slice_spacing(positions, thickness)
                                              : (thickness > 0 ? thickness : 1.0);
  if (attributes) attributes->spacing = volume.spacing;  // the series as stored
  // Before any resampling: axes permuted and flipped to RAS+, no interpolation.
  std::optional<AxisDirections> directions =
      series_directions(iop, positions, all_positioned, series.frames);
  if (directions && attributes) {
    // The stored grid and its affine, for predictions written back onto it (source_grid.h).
    const Vector3& n = (*directions)[2];
    attributes->source_shape = {series.columns, series.rows, series.frames};
    attributes->affine = series_affine(*iop, positions, volume.spacing, {-n[0], -n[1], n[2]});
    attributes->affine_code = 1;  // NIFTI_XFORM_SCANNER_ANAT: the scanner's coordinates
  }
  if (directions && reorient_to_ras(volume, *directions) && attributes) {
    attributes->orientation = volume.orientation;
  }
  return volume;
}

}  // namespace galien
