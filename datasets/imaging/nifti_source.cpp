// NIfTI cases in the Medical Segmentation Decathlon / nnU-Net layout:
//   imagesTr/<case>.nii.gz            (MSD; one file per case, 4D for several modalities)
//   imagesTr/<case>_0000.nii.gz, ...  (nnU-Net; one file per channel)
//   labelsTr/<case>.nii.gz            (segmentation mask; optional folder)
// The case name is the patient key, pseudonymised at once (with data.images.join_column the
// patient is that of the data.csv rows naming the case); so errors never show a case's file
// names: a case is named by its rank in file name order ("case 5 of 210 in .../imagesTr").
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "core/error.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/orientation.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::vector<std::string> channels;  // files, channel order
  std::string mask;                   // empty = none
  std::string shown;                  // how errors name the case: no file name, no case name
};

std::string stem(const std::string& name) {
  for (const char* ext : {".nii.gz", ".nii"}) {
    std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return name.substr(0, name.size() - e.size());
    }
  }
  return "";
}

// nnU-Net's per-channel file names: "<case>_0000" is channel 0 of <case>.
const std::regex& channel_suffix() {
  static const std::regex suffix("(.+)_(\\d{4})");
  return suffix;
}

std::string orientation_text(const std::string& code) {
  return code.empty() ? std::string("none (no sform or qform)") : code;
}

std::string channel_name(const Case& c, std::size_t channel) {
  return c.channels.size() == 1 ? c.shown
                                : "channel file " + std::to_string(channel) + " of " + c.shown;
}

// A mask of its image's dims but another affine (shifted, rescaled or turned) labels other
// places than the voxels it is stored beside, and a prediction written with the image's affine
// would not overlay it: refused, as nnU-Net's dataset check does. Tolerance as numpy's
// isclose, with 1e-4 (mm) absolute: float32 headers written by different tools agree to it.
// Masks of other dims are left to the shape check (image_transform.cpp).
// The same holds for the channel files of a case. `what`: "the mask (labelsTr) of CASE" or
// "channel file K of CASE"; `reference`: what it is compared with ("its image", ...).
void check_same_place(const NiftiGeometry& other, const NiftiGeometry& image,
                      const std::string& what, const std::string& reference) {
  if (other.shape != image.shape) return;
  for (std::size_t e = 0; e < 12; ++e) {
    const double m = other.affine[e], i = image.affine[e];
    if (std::abs(m - i) > 1e-4 + 1e-5 * std::max(std::abs(m), std::abs(i))) {
      GALIEN_USER_ERROR(what << " lies elsewhere in space than " << reference << ": "
                        << "voxel-to-world affine entry [" << e / 4 << ", " << e % 4 << "] is "
                        << m << " there but " << i << " in " << reference << " (mm); they must "
                        << "share their geometry: resample it onto " << reference << ", or copy "
                        << "the sform/qform of " << reference << " into its header if only the "
                        << "header is wrong");
    }
  }
}

// Stacks the channel files of one case; they must share their geometry. `geometry`: channel
// file 0's grid and affine, what predictions are written back onto.
Volume stack_channels(const Case& c, NiftiGeometry& geometry) {
  const std::vector<std::string>& files = c.channels;
  Volume volume = read_nifti(files.front(), channel_name(c, 0), &geometry);
  for (std::size_t k = 1; k < files.size(); ++k) {
    NiftiGeometry next_geometry;
    Volume next = read_nifti(files[k], channel_name(c, k), &next_geometry);
    // Each file was reoriented by its own header; different codes mean a header is wrong.
    if (next.orientation != volume.orientation) {
      GALIEN_USER_ERROR(channel_name(c, k) << " has orientation "
                                           << orientation_text(next.orientation)
                                           << " but its channel file 0 has "
                                           << orientation_text(volume.orientation)
                                           << ": the channels of a case must share their "
                                           << "geometry; fix that file's sform/qform");
    }
    if (next.depth != volume.depth || next.height != volume.height ||
        next.width != volume.width) {
      GALIEN_USER_ERROR(channel_name(c, k) << " has shape " << next.shape_text()
                                           << " but its channel file 0 has "
                                           << volume.shape_text() << ": channels must match");
    }
    check_same_place(next_geometry, geometry, channel_name(c, k), "its channel file 0");
    volume.channels += next.channels;
    volume.voxels.insert(volume.voxels.end(), next.voxels.begin(), next.voxels.end());
  }
  return volume;
}

class NiftiSource : public ImageSource {
 public:
  // `names`: each case's name, in the order of `cases` (kept in memory for
  // data.images.join_column only; never written or printed: it may be the patient key).
  NiftiSource(std::vector<Case> cases, const std::vector<std::string>& names)
      : cases_(std::move(cases)) {
    for (std::size_t i = 0; i < names.size(); ++i) index_.emplace(names[i], i);
  }

  // A case name ("la_003"), or one of its file names with or without a folder
  // ("imagesTr/la_003.nii.gz", "la_003_0000.nii.gz").
  std::vector<std::size_t> items_named(const std::string& value) const override {
    if (auto it = index_.find(value); it != index_.end()) return {it->second};
    const std::size_t slash = value.find_last_of("/\\");
    const std::string file = slash == std::string::npos ? value : value.substr(slash + 1);
    std::string name = stem(file);
    if (name.empty()) name = file;  // no .nii/.nii.gz: a case name after a folder
    if (auto it = index_.find(name); it != index_.end()) return {it->second};
    std::smatch m;
    if (!stem(file).empty() && std::regex_match(name, m, channel_suffix())) {
      if (auto it = index_.find(m[1].str()); it != index_.end()) return {it->second};
    }
    return {};
  }
  LoadedImage load(std::size_t item) const override {
    const Case& c = cases_[item];
    LoadedImage loaded;
    NiftiGeometry geometry;
    loaded.image = stack_channels(c, geometry);
    if (!c.mask.empty()) {
      NiftiGeometry mask_geometry;
      loaded.mask = read_nifti(c.mask, "the mask (labelsTr) of " + c.shown, &mask_geometry);
      // A mask whose header lost its orientation (some label tools write none) would otherwise
      // stay as stored while its image is flipped: the labels would no longer match the voxels.
      if (loaded.mask->orientation != loaded.image.orientation) {
        GALIEN_USER_ERROR("the mask (labelsTr) of " << c.shown << " has orientation "
                                                    << orientation_text(loaded.mask->orientation)
                                                    << " but its image has "
                                                    << orientation_text(loaded.image.orientation)
                                                    << ": a mask must share its image's "
                                                    << "geometry; copy the image's sform/qform "
                                                    << "into the mask's header");
      }
      check_same_place(mask_geometry, geometry, "the mask (labelsTr) of " + c.shown,
                       "its image");
    }
    // The file's own geometry (its axis order), beside the code that maps it to the pixels.
    const Volume& v = loaded.image;
    const std::string& code = v.orientation;
    auto size = source_order({double(v.depth), double(v.height), double(v.width)}, code);
    loaded.attributes.slices = static_cast<std::int64_t>(size[0]);
    loaded.attributes.rows = static_cast<std::int64_t>(size[1]);
    loaded.attributes.columns = static_cast<std::int64_t>(size[2]);
    loaded.attributes.spacing = source_order(v.spacing, code);
    loaded.attributes.orientation = code;
    loaded.attributes.source_shape = geometry.shape;
    loaded.attributes.affine = geometry.affine;
    loaded.attributes.affine_code = geometry.xform_code;
    return loaded;
  }
  // Headers only, for the pass over every case before writing: no voxel is read. A case whose
  // files disagree (channel files of other sizes or orientations, a mask of another orientation)
  // is loaded in full instead, so that load() stops the run with its own message.
  LoadedImage geometry(std::size_t item) const override {
    const Case& c = cases_[item];
    LoadedImage loaded;
    loaded.image = read_nifti_header(c.channels.front(), channel_name(c, 0));
    for (std::size_t k = 1; k < c.channels.size(); ++k) {
      const Volume next = read_nifti_header(c.channels[k], channel_name(c, k));
      const Volume& first = loaded.image;
      if (next.orientation != first.orientation || next.depth != first.depth ||
          next.height != first.height || next.width != first.width) {
        return ImageSource::geometry(item);
      }
      loaded.image.channels += next.channels;
    }
    if (!c.mask.empty()) {
      loaded.mask = read_nifti_header(c.mask, "the mask (labelsTr) of " + c.shown);
      if (loaded.mask->orientation != loaded.image.orientation) return ImageSource::geometry(item);
    }
    return loaded;
  }

 private:
  std::vector<Case> cases_;
  std::map<std::string, std::size_t> index_;  // case name -> item
};

std::map<std::string, Case> find_cases(const fs::path& images) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(images)) {
    std::string name = entry.path().filename().string();
    // "._x.nii.gz" files are macOS metadata shipped in some MSD archives: not images.
    if (entry.is_regular_file() && name[0] != '.' && !stem(name).empty()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, Case> cases;
  std::smatch m;
  for (const fs::path& file : files) {
    std::string s = stem(file.filename().string());
    std::string name = std::regex_match(s, m, channel_suffix()) ? m[1].str() : s;
    cases[name].channels.push_back(file.string());
  }
  return cases;
}

}  // namespace

std::unique_ptr<ImageSource> open_nifti_source(const DataConfig& config,
                                               const Pseudonymizer& pseudonymize) {
  fs::path root(config.image_path), images = root / "imagesTr", labels = root / "labelsTr";
  if (!fs::is_directory(images)) {
    GALIEN_USER_ERROR("data.images.path " << root.string() << " has no imagesTr folder "
                                          << "(Medical Segmentation Decathlon / nnU-Net layout)");
  }
  std::map<std::string, Case> cases = find_cases(images);
  if (cases.empty()) GALIEN_USER_ERROR(images.string() << " holds no .nii or .nii.gz file");
  bool masks = fs::is_directory(labels);
  std::vector<Case> ordered;
  std::vector<std::string> names;
  std::vector<ImageItem> items;
  std::vector<std::string> files;
  for (auto& [name, c] : cases) {
    c.shown = "NIfTI case " + std::to_string(items.size() + 1) + " of " +
              std::to_string(cases.size()) + " in " + images.string() + " (cases in name order)";
    if (masks) {
      for (const char* ext : {".nii.gz", ".nii"}) {
        if (fs::exists(labels / (name + ext))) c.mask = (labels / (name + ext)).string();
      }
      if (c.mask.empty()) {
        GALIEN_USER_ERROR(c.shown << " has no mask in " << labels.string() << " (a file named "
                                  << "like the case): add it, or remove the case from imagesTr");
      }
      files.push_back(c.mask);
    }
    files.insert(files.end(), c.channels.begin(), c.channels.end());
    ImageItem item;
    item.pseudonym = pseudonymize(name);
    item.origin = c.shown;  // never the file name: it is the patient key
    item.line = static_cast<std::int64_t>(items.size()) + 1;
    items.push_back(std::move(item));
    ordered.push_back(c);
    names.push_back(name);
  }
  auto source = std::make_unique<NiftiSource>(std::move(ordered), names);
  source->items = std::move(items);
  source->has_mask = masks;
  source->label_source = masks ? "labelsTr (segmentation masks)" : "";
  source->patient_key =
      config.image_join_column.empty()
          ? "the case name (file name in imagesTr without channel suffix)"
          : "data.patient_id of the data.csv rows naming the case (data.images.join_column)";
  source->source_name = base_name(config.image_path);
  source->source_sha256 = hash_files(root.string(), files);
  return source;
}

}  // namespace galien
