#include "datasets/imaging/npz.h"

#include <minizip/unzip.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include "core/error.h"

namespace galien {
namespace {

struct Archive {
  unzFile file;
  explicit Archive(const std::string& path) : file(unzOpen64(path.c_str())) {
    if (file == nullptr) {
      GALIEN_USER_ERROR("cannot open " << path << " as an .npz (zip) archive: check the path "
                                       << "(data.images.path) and that the file is complete");
    }
  }
  ~Archive() { unzClose(file); }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;
};

std::string read_entry(const std::string& path, const std::string& name) {
  Archive zip(path);
  if (unzLocateFile(zip.file, (name + ".npy").c_str(), 1) != UNZ_OK) {
    GALIEN_USER_ERROR(path << " has no array '" << name << "': a MedMNIST file holds "
                           << "train_images, train_labels, val_*, test_*");
  }
  unz_file_info64 info;
  if (unzGetCurrentFileInfo64(zip.file, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK ||
      unzOpenCurrentFile(zip.file) != UNZ_OK) {
    GALIEN_USER_ERROR(path << ": array '" << name << "' is unreadable: the file is damaged");
  }
  std::string bytes(static_cast<std::size_t>(info.uncompressed_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
    int n = unzReadCurrentFile(zip.file, bytes.data() + done, chunk);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  // The CRC check happens at close: a damaged deflate stream or truncated entry fails here.
  int closed = unzCloseCurrentFile(zip.file);
  if (done != bytes.size() || closed != UNZ_OK) {
    GALIEN_USER_ERROR(path << ": array '" << name << "' is truncated or damaged: copy the file "
                           << "again");
  }
  return bytes;
}

}  // namespace

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

double NpyArray::at(std::int64_t index) const {
  const char* p = data.data() + static_cast<std::size_t>(index) * item_size;
  auto load = [p](auto value) {
    std::memcpy(&value, p, sizeof value);
    return static_cast<double>(value);
  };
  switch (kind) {
    case 'b':
    case 'u':
      switch (item_size) {
        case 1: return load(std::uint8_t{});
        case 2: return load(std::uint16_t{});
        case 4: return load(std::uint32_t{});
        default: return load(std::uint64_t{});
      }
    case 'i':
      switch (item_size) {
        case 1: return load(std::int8_t{});
        case 2: return load(std::int16_t{});
        case 4: return load(std::int32_t{});
        default: return load(std::int64_t{});
      }
    default: return item_size == 4 ? load(float{}) : load(double{});
  }
}

NpyArray parse_npy(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    GALIEN_USER_ERROR(what << " is not a .npy array");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_length = 0, start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(bytes[8]) |
                    (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    start = 10;
  } else {
    if (bytes.size() < 12) GALIEN_USER_ERROR(what << " has a truncated .npy header");
    for (int i = 0; i < 4; ++i) {
      header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i]))
                       << (8 * i);
    }
    start = 12;
  }
  if (bytes.size() < start + header_length) GALIEN_USER_ERROR(what << ": truncated .npy header");
  std::string header = bytes.substr(start, header_length);
  std::smatch m;
  static const std::regex descr("'descr':\\s*'([<|=])([biuf])(\\d+)'");
  static const std::regex order("'fortran_order':\\s*(True|False)");
  static const std::regex shape("'shape':\\s*\\(([^)]*)\\)");
  if (!std::regex_search(header, m, descr)) {
    GALIEN_USER_ERROR(what << " is not a little-endian numeric array (header: " << header << ")");
  }
  NpyArray array;
  array.kind = m[2].str()[0];
  // Only the sizes NpyArray::at reads; any other (or a number too long for stoul) is refused by
  // name. Found by fuzzing (tests/fuzz/regressions/npz/): stoul threw std::out_of_range, and an
  // item size of 3 or 16 made at() read past the data.
  const std::string size_digits = m[3].str();
  array.item_size = size_digits.size() <= 2 ? static_cast<std::size_t>(std::stoul(size_digits)) : 0;
  const bool valid_size =
      array.kind == 'b' ? array.item_size == 1
      : array.kind == 'f' ? (array.item_size == 4 || array.item_size == 8)
                          : (array.item_size == 1 || array.item_size == 2 ||
                             array.item_size == 4 || array.item_size == 8);
  if (!valid_size) {
    GALIEN_USER_ERROR(what << " has dtype '" << array.kind << size_digits << "': only bool, "
                           << "(u)int8/16/32/64, float32 and float64 arrays are read");
  }
  if (std::regex_search(header, m, order) && m[1] == "True") {
    GALIEN_USER_ERROR(what << " is in Fortran order: save it with numpy.ascontiguousarray");
  }
  if (!std::regex_search(header, m, shape)) GALIEN_USER_ERROR(what << " has no shape in header");
  std::string dims = m[1].str();
  static const std::regex number("\\d+");
  // The element count is checked against the bytes present while it is computed: a shape such
  // as (4294967296, 4294967296) must not wrap to a small product (fuzzing found both that and
  // std::out_of_range from stoll).
  const std::size_t available = bytes.size() - start - header_length;
  bool fits = true;
  std::size_t need = array.item_size;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
       it != std::sregex_iterator(); ++it) {
    const std::string digits = it->str();
    if (digits.size() > 18) {
      GALIEN_USER_ERROR(what << " has a shape (" << dims << ") with a size of " << digits.size()
                             << " digits: the header is damaged");
    }
    const std::int64_t d = std::stoll(digits);
    array.shape.push_back(d);
    if (fits && d != 0 && need > available / static_cast<std::size_t>(d)) fits = false;
    if (fits) need *= static_cast<std::size_t>(d);
  }
  if (!fits && std::find(array.shape.begin(), array.shape.end(), 0) == array.shape.end()) {
    GALIEN_USER_ERROR(what << " is truncated: " << available << " bytes of data, its shape ("
                           << dims << ") needs more");
  }
  if (!fits) need = 0;  // an empty array: some dimension is 0
  // Even then NpyArray::size() multiplies every size: their product must fit (fuzzing found
  // (46666666662, 777777777777777, 0), a signed overflow there).
  std::int64_t product = 1;
  for (std::int64_t d : array.shape) {
    if (d != 0 && __builtin_mul_overflow(product, d, &product)) {
      GALIEN_USER_ERROR(what << " has a shape (" << dims << ") too large to address: the "
                             << "header is damaged");
    }
  }
  if (bytes.size() < start + header_length + need) {
    GALIEN_USER_ERROR(what << " is truncated: " << bytes.size() - start - header_length
                           << " bytes of data, " << need << " expected");
  }
  array.data = bytes.substr(start + header_length, need);
  return array;
}

std::vector<std::string> npz_entries(const std::string& path) {
  Archive zip(path);
  std::vector<std::string> names;
  for (int status = unzGoToFirstFile(zip.file); status == UNZ_OK;
       status = unzGoToNextFile(zip.file)) {
    char name[512];
    unz_file_info64 info;
    if (unzGetCurrentFileInfo64(zip.file, &info, name, sizeof name, nullptr, 0, nullptr, 0) !=
        UNZ_OK) {
      break;
    }
    std::string entry = name;
    if (entry.size() > 4 && entry.compare(entry.size() - 4, 4, ".npy") == 0) {
      names.push_back(entry.substr(0, entry.size() - 4));
    }
  }
  return names;
}

NpyArray read_npz_array(const std::string& path, const std::string& name) {
  return parse_npy(read_entry(path, name), path + " array '" + name + "'");
}

}  // namespace galien
