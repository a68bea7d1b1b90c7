// Image arrays with labels and fixed splits: MedMNIST .npz files (train/val/test_images and
// _labels) and IDX files (MNIST layout, e.g. Fashion-MNIST: train-* and t10k-*). Each sample is
// its own patient (these sets carry no patient IDs): its key is "<file>:<split>:<index>".
#include <algorithm>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/hash.h"
#include "core/random.h"
#include "datasets/imaging/idx.h"
#include "datasets/imaging/image_source.h"
#include "datasets/imaging/npz.h"

namespace galien {
namespace {

namespace fs = std::filesystem;

// Images of every split in memory as uint8 (MedMNIST and MNIST-like sets are small).
struct ImageArray {
  std::int64_t depth = 1, height = 0, width = 0, channels = 1;
  bool volumetric = false;
  std::vector<std::uint8_t> pixels;  // per sample [C, D, H, W]
};

class ArraySource : public ImageSource {
 public:
  LoadedImage load(std::size_t item) const override {
    const auto& [array, index] = where_[item];
    const ImageArray& a = arrays_[array];
    std::size_t n = static_cast<std::size_t>(a.channels * a.depth * a.height * a.width);
    LoadedImage loaded;
    Volume& v = loaded.image;
    v.channels = a.channels;
    v.depth = a.depth;
    v.height = a.height;
    v.width = a.width;
    v.volumetric = a.volumetric;
    v.voxels.assign(a.pixels.begin() + static_cast<std::ptrdiff_t>(index * n),
                    a.pixels.begin() + static_cast<std::ptrdiff_t>((index + 1) * n));
    return loaded;
  }

  std::vector<ImageArray> arrays_;
  std::vector<std::pair<std::size_t, std::size_t>> where_;  // item -> (array, sample)
};

// numpy (N, H, W), (N, H, W, C) with C <= 4, or (N, D, H, W) -> planar uint8.
ImageArray image_array(const NpyArray& npy, const std::string& what) {
  if (npy.kind != 'u' || npy.item_size != 1 || npy.shape.size() < 3 || npy.shape.size() > 4) {
    GALIEN_USER_ERROR(what << " is not uint8 images of shape N x H x W (x C) or N x D x H x W");
  }
  ImageArray a;
  std::int64_t n = npy.shape[0];
  bool channels_last = npy.shape.size() == 4 && npy.shape[3] <= 4;
  if (npy.shape.size() == 3) {
    a.height = npy.shape[1];
    a.width = npy.shape[2];
  } else if (channels_last) {
    a.height = npy.shape[1];
    a.width = npy.shape[2];
    a.channels = npy.shape[3];
  } else {
    a.depth = npy.shape[1];
    a.height = npy.shape[2];
    a.width = npy.shape[3];
    a.volumetric = true;
  }
  a.pixels.assign(npy.data.begin(), npy.data.end());
  if (channels_last) {  // HWC -> CHW per sample
    std::int64_t plane = a.height * a.width, c = a.channels;
    for (std::int64_t s = 0; s < n; ++s) {
      const auto* in = reinterpret_cast<const std::uint8_t*>(npy.data.data()) + s * plane * c;
      std::uint8_t* out = a.pixels.data() + s * plane * c;
      for (std::int64_t p = 0; p < plane; ++p) {
        for (std::int64_t k = 0; k < c; ++k) out[k * plane + p] = in[p * c + k];
      }
    }
  }
  return a;
}

struct Labels {
  std::int64_t columns = 1;
  std::vector<std::int64_t> values;  // N x columns
};

Labels label_array(const NpyArray& npy, std::int64_t n, const std::string& what) {
  bool shape_ok = (npy.shape.size() == 1 && npy.shape[0] == n) ||
                  (npy.shape.size() == 2 && npy.shape[0] == n);
  if (!shape_ok || npy.kind == 'f') {
    GALIEN_USER_ERROR(what << " is not integer labels of shape N or N x K with N = " << n);
  }
  Labels labels;
  labels.columns = npy.shape.size() == 2 ? npy.shape[1] : 1;
  for (std::int64_t i = 0; i < npy.size(); ++i) {
    double v = npy.at(i);
    if (v < 0) GALIEN_USER_ERROR(what << " holds a negative label");
    labels.values.push_back(static_cast<std::int64_t>(v));
  }
  return labels;
}

void add_split(ArraySource& source, ImageArray images, const Labels& labels,
               const std::string& split, const std::string& key_prefix,
               const std::string& origin, const Pseudonymizer& pseudonymize) {
  std::size_t array = source.arrays_.size();
  std::size_t n = labels.values.size() / static_cast<std::size_t>(labels.columns);
  for (std::size_t i = 0; i < n; ++i) {
    ImageItem item;
    item.pseudonym = pseudonymize(key_prefix + ":" + split + ":" + std::to_string(i));
    item.origin = origin + ": " + split + " sample " + std::to_string(i);
    item.line = static_cast<std::int64_t>(i) + 1;
    item.split = split;
    if (source.multi_label) {
      for (std::int64_t k = 0; k < labels.columns; ++k) {
        item.multi.push_back(labels.values[i * labels.columns + k] ? 1 : 0);
      }
    } else {
      item.label = labels.values[i];
    }
    source.items.push_back(std::move(item));
    source.where_.emplace_back(array, i);
  }
  source.arrays_.push_back(std::move(images));
}

// Class names for single-label sources: the largest label + 1 classes.
void name_classes(ArraySource& source, const DataConfig& config, std::int64_t columns,
                  const std::string& what) {
  std::int64_t count = columns;
  if (!source.multi_label) {
    count = 0;
    for (const ImageItem& item : source.items) count = std::max(count, item.label + 1);
  }
  source.classes = class_names(config, count, what);
}

}  // namespace

std::unique_ptr<ImageSource> open_medmnist_source(const DataConfig& config,
                                                  const Pseudonymizer& pseudonymize) {
  const std::string& path = config.image_path;
  auto source = std::make_unique<ArraySource>();
  std::int64_t columns = 1;
  for (const char* split : {"train", "val", "test"}) {
    std::string s = split;
    ImageArray images =
        image_array(read_npz_array(path, s + "_images"), path + " array '" + s + "_images'");
    NpyArray raw = read_npz_array(path, s + "_labels");
    std::int64_t n = static_cast<std::int64_t>(images.pixels.size()) /
                     (images.channels * images.depth * images.height * images.width);
    Labels labels = label_array(raw, n, path + " array '" + s + "_labels'");
    if (n == 0) {
      GALIEN_USER_ERROR(path << ": split '" << s << "' is empty: a MedMNIST file needs "
                             << "samples in train, val and test");
    }
    columns = labels.columns;
    source->multi_label = columns > 1;  // e.g. ChestMNIST: 14 findings per image
    add_split(*source, std::move(images), labels, s, base_name(path), path, pseudonymize);
  }
  name_classes(*source, config, columns, path);
  source->label_source = columns > 1 ? "*_labels (multi-label)" : "*_labels";
  source->patient_key = "none in the file: each sample is a patient, key '<file>:<split>:<index>'";
  source->source_name = base_name(path);
  source->source_sha256 = sha256_file_hex(path);
  return source;
}

namespace {

std::string idx_file(const std::string& dir, const std::string& name) {
  for (const char* ext : {".gz", ""}) {
    std::string path = (fs::path(dir) / (name + ext)).string();
    if (fs::is_regular_file(path)) return path;
  }
  GALIEN_USER_ERROR(dir << " has no " << name << "(.gz): an idx folder holds train-images-"
                        << "idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                        << "t10k-labels-idx1-ubyte");
}

}  // namespace

std::unique_ptr<ImageSource> open_idx_source(const DataConfig& config,
                                             const Pseudonymizer& pseudonymize) {
  const std::string& dir = config.image_path;
  auto source = std::make_unique<ArraySource>();
  std::vector<std::string> files;
  for (const char* prefix : {"train", "t10k"}) {
    std::string images_path = idx_file(dir, std::string(prefix) + "-images-idx3-ubyte");
    std::string labels_path = idx_file(dir, std::string(prefix) + "-labels-idx1-ubyte");
    IdxArray images = read_idx(images_path), labels = read_idx(labels_path);
    if (images.shape.size() != 3 || labels.shape.size() != 1 ||
        labels.shape[0] != images.shape[0]) {
      GALIEN_USER_ERROR(images_path << " and " << labels_path << " do not hold N images of "
                                    << "H x W and N labels");
    }
    ImageArray a;
    a.height = images.shape[1];
    a.width = images.shape[2];
    a.pixels.assign(images.data.begin(), images.data.end());
    Labels l;
    for (char c : labels.data) l.values.push_back(static_cast<unsigned char>(c));
    // t10k is the published test set; train is split into train and val below.
    add_split(*source, std::move(a), l, prefix == std::string("t10k") ? "test" : "train",
              "idx", images_path, pseudonymize);
    files.push_back(images_path);
    files.push_back(labels_path);
  }
  // data.split.val of the train file goes to val: a seeded choice, the same for every key.
  std::vector<std::size_t> train;
  for (std::size_t i = 0; i < source->items.size(); ++i) {
    if (source->items[i].split == "train") train.push_back(i);
  }
  std::mt19937_64 rng(config.split_seed);
  deterministic_shuffle(train, rng);
  auto val = static_cast<std::size_t>(config.val_fraction * static_cast<double>(train.size()));
  for (std::size_t k = 0; k < val; ++k) source->items[train[k]].split = "val";
  name_classes(*source, config, 1, dir);
  source->label_source = "*-labels-idx1-ubyte";
  source->patient_key = "none in the files: each sample is a patient, key 'idx:<split>:<index>'";
  source->source_name = base_name(dir);
  source->source_sha256 = hash_files(dir, files);
  return source;
}

}  // namespace galien
