// PNG images listed in a labels table, in the ChestX-ray14 layout (Data_Entry_2017.csv):
// "Image Index" (file name under data.images.path), "Finding Labels" (multi-label, "|"
// separated, "No Finding" = none) and "Patient ID" (pseudonymised at once). Column names are
// configurable (data.images.*_column). The table itself is handed to the pipeline, whose
// png_clinical.h accounts for its other columns (clinical features or data.drop).
#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/hash.h"
#include "datasets/csv.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/png.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

class PngSource : public ImageSource {
 public:
  explicit PngSource(int channels) : channels_(channels) {}
  LoadedImage load(std::size_t item) const override {
    LoadedImage loaded;
    loaded.image = read_png(paths[item], channels_, items[item].origin);
    loaded.attributes.rows = loaded.image.height;
    loaded.attributes.columns = loaded.image.width;
    return loaded;
  }

  std::vector<std::string> paths;  // per item; never shown (the names hold patient IDs)

 private:
  int channels_;
};

int column(const CsvTable& table, const std::string& name, const char* key) {
  int index = table.column_index(name);
  if (index < 0) {
    GALIEN_USER_ERROR(table.path << " has no column '" << name << "' (" << key
                                 << "): set that key to one of its columns");
  }
  return index;
}

std::vector<std::string> split_labels(const std::string& text, const std::string& separator) {
  std::vector<std::string> labels;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    std::string label = text.substr(start, end == std::string::npos ? end : end - start);
    label.erase(0, label.find_first_not_of(' '));
    label.erase(label.find_last_not_of(' ') + 1);
    if (!label.empty()) labels.push_back(label);
    if (end == std::string::npos) return labels;
    start = end + separator.size();
  }
}

}  // namespace

std::unique_ptr<ImageSource> open_png_source(const DataConfig& config,
                                             const Pseudonymizer& pseudonymize) {
  if (config.image_labels_csv.empty()) {
    GALIEN_USER_ERROR("data.images.labels_csv is not set: PNG images need their labels table");
  }
  if (config.image_channels != 0 && config.image_channels != 1 && config.image_channels != 3) {
    GALIEN_USER_ERROR("data.images.channels is " << config.image_channels
                                                 << ": PNG images are read as 1 (gray) or 3 "
                                                 << "(RGB) channels, or 0 = as stored");
  }
  CsvTable table = read_csv(config.image_labels_csv);
  int file = column(table, config.image_file_column, "data.images.file_column");
  int patient = column(table, config.image_patient_column, "data.images.patient_column");
  int labels = column(table, config.image_labels_column, "data.images.labels_column");
  auto source = std::make_unique<PngSource>(config.image_channels);
  std::vector<std::vector<std::string>> row_labels;
  std::set<std::string> seen;
  std::vector<std::string> files;
  for (const CsvRow& row : table.rows) {
    ImageItem item;
    const std::string path = (fs::path(config.image_path) / row.fields[file]).string();
    // ChestX-ray14 file names hold the patient ID (00030003_001.png: patient 30003), so a
    // sample is named by its table line, which finds it as surely.
    item.origin = "the image of " + table.path + ":" + std::to_string(row.line);
    item.line = row.line;
    if (!fs::is_regular_file(path)) {
      GALIEN_USER_ERROR("the PNG file of " << table.path << ":" << row.line << " (column '"
                                           << config.image_file_column << "') is not in "
                                           << config.image_path << ": add it or remove the row "
                                           << "(its name is not shown: such names can hold the "
                                           << "patient ID)");
    }
    if (row.fields[patient].empty()) {
      GALIEN_USER_ERROR(table.path << ":" << row.line << ": empty "
                                   << config.image_patient_column);
    }
    item.pseudonym = pseudonymize(row.fields[patient]);
    row_labels.push_back(split_labels(row.fields[labels], config.image_label_separator));
    auto& named = row_labels.back();
    named.erase(std::remove(named.begin(), named.end(), config.image_none_label), named.end());
    seen.insert(named.begin(), named.end());
    files.push_back(path);
    source->paths.push_back(path);
    source->items.push_back(std::move(item));
  }
  if (source->items.empty()) GALIEN_USER_ERROR(table.path << " lists no image");
  source->classes = config.classes.empty() ? std::vector<std::string>(seen.begin(), seen.end())
                                           : config.classes;
  for (std::size_t i = 0; i < source->items.size(); ++i) {
    ImageItem& item = source->items[i];
    item.multi.assign(source->classes.size(), 0);
    for (const std::string& label : row_labels[i]) {
      auto it = std::find(source->classes.begin(), source->classes.end(), label);
      if (it == source->classes.end()) {
        GALIEN_USER_ERROR(table.path << ":" << item.line << ": label '" << label
                                     << "' is not in data.classes: add it there");
      }
      item.multi[static_cast<std::size_t>(it - source->classes.begin())] = 1;
    }
  }
  source->multi_label = true;
  source->label_source = config.image_labels_column;
  source->patient_key = "column '" + config.image_patient_column + "' of the labels table";
  source->source_name = base_name(config.image_labels_csv);
  files.push_back(config.image_labels_csv);
  source->source_sha256 = hash_files(config.image_path, files);
  source->table = std::move(table);
  return source;
}

}  // namespace galien
