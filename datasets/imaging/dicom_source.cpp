// DICOM series as samples: one sample per series, its patient from PatientID (pseudonymised
// inside the scan, as soon as it is read), from data.images.patient_map, or, with
// data.images.join_column, from the data.csv rows that name the series by folder or file.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "core/error.h"
#include "datasets/csv.h"
#include "datasets/imaging/dicom.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/safe_path.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// A data.images.join_column cell as a path relative to data.images.path: '\\' read as '/' (tables
// exported on Windows), a leading "./" and trailing '/' ignored. UserError (reason only: the
// value may hold a patient's name) for an absolute path, one leaving the folder, or the folder
// itself.
std::string join_path(const std::string& value) {
  std::string path = value;
  std::replace(path.begin(), path.end(), '\\', '/');
  if (!path.empty() && path.front() == '/') {
    GALIEN_USER_ERROR("is an absolute path; name the series' folder or a file of it relative to "
                      "data.images.path");
  }
  std::string normal = fs::path(path).lexically_normal().generic_string();
  while (!normal.empty() && normal.back() == '/') normal.pop_back();
  if (normal.empty() || normal == ".") {
    GALIEN_USER_ERROR("names data.images.path itself; name the series' folder or a file of it "
                      "relative to data.images.path");
  }
  if (normal == ".." || normal.compare(0, 3, "../") == 0) {
    GALIEN_USER_ERROR("leaves data.images.path (..); name the series' folder or a file of it "
                      "relative to data.images.path");
  }
  return normal;
}

class DicomSource : public ImageSource {
 public:
  DicomSource(std::vector<DicomSeries> series, std::string root)
      : series_(std::move(series)), root_(std::move(root)) {}
  LoadedImage load(std::size_t item) const override {
    LoadedImage loaded;
    loaded.image = load_dicom_series(series_[item], &loaded.attributes);
    return loaded;
  }

  // The series of a file, or every series with a file below a folder (relative paths); else
  // the series of that SeriesInstanceUID (annotation tables often name series by UID).
  std::vector<std::size_t> items_named(const std::string& value) const override {
    if (paths_.empty()) index_paths();
    if (auto it = paths_.find(join_path(value)); it != paths_.end())  // a path first
      return std::vector<std::size_t>(it->second.begin(), it->second.end());
    if (auto it = uids_.find(value); it != uids_.end()) return {it->second};
    return {};
  }

 private:
  // Each file and each folder above it (up to data.images.path) -> the series below it. The
  // paths are those scan_dicom already holds, in memory only.
  void index_paths() const {
    for (std::size_t i = 0; i < series_.size(); ++i) {
      uids_.emplace(series_[i].uid, i);
      for (const std::string& file : series_[i].files) {
        fs::path path = relative_path(root_, file);
        paths_[path.generic_string()].insert(i);
        for (path = path.parent_path(); !path.empty(); path = path.parent_path()) {
          if (!paths_[path.generic_string()].insert(i).second) break;  // its parents are done
        }
      }
    }
  }

  std::vector<DicomSeries> series_;
  std::string root_;
  mutable std::map<std::string, std::set<std::size_t>> paths_;
  mutable std::map<std::string, std::size_t> uids_;  // SeriesInstanceUID -> series
};

// Folder (relative to data.images.path) -> patient key, from a CSV with columns path,
// patient_id. A file belongs to the deepest listed folder that contains it.
class PatientMap {
 public:
  PatientMap(const std::string& csv_path, const std::string& root) : root_(root) {
    CsvTable table = read_csv(csv_path);
    int path = table.column_index("path"), id = table.column_index("patient_id");
    if (path < 0 || id < 0) {
      GALIEN_USER_ERROR(csv_path << " needs columns 'path' and 'patient_id' "
                                 << "(data.images.patient_map)");
    }
    for (const CsvRow& row : table.rows) {
      std::string folder = fs::path(row.fields[path]).lexically_normal().generic_string();
      while (!folder.empty() && folder.back() == '/') folder.pop_back();
      if (!entries_.emplace(folder, row.fields[id]).second) {
        // Not the folder's name: it may be the patient's.
        GALIEN_USER_ERROR(csv_path << ":" << row.line << ": its folder (column 'path') is "
                                   << "listed on an earlier line too: list each folder once");
      }
    }
  }
  // Never returns a value for printing: only to be pseudonymised, or to redact the file's path
  // in messages. Null when no listed folder holds the file.
  const std::string* find(const std::string& file) const {
    std::string relative = relative_path(root_, file);
    const std::string* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [folder, key] : entries_) {
      bool inside = folder == "." || relative.compare(0, folder.size() + 1, folder + "/") == 0;
      std::size_t length = folder == "." ? 0 : folder.size();
      if (inside && (best == nullptr || length > best_length)) {
        best = &key;
        best_length = length;
      }
    }
    return best;
  }
  const std::string& key_of(const std::string& file) const {
    const std::string* key = find(file);
    if (key == nullptr) {
      throw DicomFileProblem(
          "is under no folder listed in data.images.patient_map: add its "
          "folder");
    }
    return *key;
  }

 private:
  std::string root_;
  std::map<std::string, std::string> entries_;
};

}  // namespace

std::unique_ptr<ImageSource> open_dicom_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize) {
  std::optional<PatientMap> map;
  if (!config.image_patient_map.empty()) map.emplace(config.image_patient_map, config.image_path);
  const bool joined = !config.image_join_column.empty();
  DicomPatientKey key = [&](const std::string& file, const std::string& patient_id) {
    // Joined by data.images.join_column: each series' patient is its table row's, not PatientID.
    if (joined) return std::string();
    if (map) return pseudonymize(map->key_of(file));
    if (patient_id.empty()) {
      throw DicomFileProblem("has no PatientID: set data.images.patient_map to name its patient");
    }
    return pseudonymize(patient_id);
  };
  // The patient_map key of a file also redacts its path in messages.
  DicomFileIdentifiers extra = [&](const std::string& file) {
    const std::string* mapped = map ? map->find(file) : nullptr;
    return mapped ? std::vector<std::string>{*mapped} : std::vector<std::string>{};
  };
  std::vector<DicomSeries> series = scan_dicom(config.image_path, key, extra);
  std::vector<std::string> files;
  auto source = std::make_unique<DicomSource>(series, config.image_path);
  for (std::size_t i = 0; i < series.size(); ++i) {
    ImageItem item;
    item.pseudonym = series[i].pseudonym;
    // The series' first file, named as messages name it (never its path as it is).
    item.origin = "DICOM series " + std::to_string(i + 1) + " of " + std::to_string(series.size()) +
                  " (first " + series[i].shown.front();
    if (item.origin.find(kRedacted) != std::string::npos) {
      item.origin += std::string("; ") + kRedacted +
                     ": a folder or file name holding the "
                     "patient's ID, name or accession number, or a date of the file";
    }
    item.origin += ")";
    item.line = static_cast<std::int64_t>(i) + 1;
    source->items.push_back(std::move(item));
    files.insert(files.end(), series[i].files.begin(), series[i].files.end());
  }
  source->patient_key =
      joined ? "data.patient_id of the data.csv rows naming the series (data.images.join_column)"
      : map ? "the patient_id of the folder in data.images.patient_map holding the series"
          : "the DICOM PatientID (0010,0020) of each series";
  source->source_name = base_name(config.image_path);
  try {
    source->source_sha256 = hash_files(config.image_path, files);
  } catch (const std::filesystem::filesystem_error& e) {  // its what() holds the paths
    GALIEN_USER_ERROR("cannot hash the files under data.images.path for the manifest ("
                      << e.code().message() << "): check that nothing changes them during the "
                      << "run, and run again");
  } catch (const UserError& e) {
    // Its message holds the full path; keep only the reason (after the last ": ").
    std::string reason = e.what();
    std::size_t colon = reason.rfind(": ");
    reason = colon == std::string::npos ? "unreadable" : reason.substr(colon + 2);
    GALIEN_USER_ERROR("a DICOM file under data.images.path could no longer be read after the scan, "
                      << "while hashing the inputs for the manifest (" << reason
                      << "): check the files' permissions, or that nothing changes them during "
                      << "the run, and run again");
  }
  return source;
}

}  // namespace galien
