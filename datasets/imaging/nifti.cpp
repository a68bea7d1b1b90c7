#include "datasets/imaging/nifti.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "datasets/imaging/gz_file.h"

namespace galien {
namespace {

constexpr std::size_t kHeaderSize = 348;

// Reads a little- or big-endian value at `offset` (NIfTI files may be either: sizeof_hdr tells).
template <class T>
T field(const std::string& bytes, std::size_t offset, bool swap) {
  unsigned char raw[sizeof(T)];
  std::memcpy(raw, bytes.data() + offset, sizeof(T));
  if (swap) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(raw[i], raw[sizeof(T) - 1 - i]);
  }
  T value;
  std::memcpy(&value, raw, sizeof(T));
  return value;
}

struct Header {
  bool swap = false;
  std::int64_t dim[8] = {};
  int datatype = 0, bitpix = 0;
  double pixdim[8] = {};
  std::size_t offset = kHeaderSize;
  double slope = 0, intercept = 0;
};

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  GALIEN_USER_ERROR("NIfTI file " << path << " " << why);
}

Header parse_header(const std::string& bytes, const std::string& path) {
  if (bytes.size() < kHeaderSize) refuse(path, "is truncated (shorter than its 348-byte header)");
  Header h;
  std::int32_t size = field<std::int32_t>(bytes, 0, false);
  if (size == 540 || field<std::int32_t>(bytes, 0, true) == 540) {
    refuse(path, "is NIfTI-2: convert it to NIfTI-1 (e.g. nibabel's Nifti1Image)");
  }
  if (size != 348) {
    h.swap = true;
    if (field<std::int32_t>(bytes, 0, true) != 348) refuse(path, "is not a NIfTI-1 file");
  }
  std::string magic = bytes.substr(344, 3);
  if (magic == "ni1") refuse(path, "is a .hdr/.img pair: convert it to a single .nii(.gz) file");
  if (magic != "n+1") refuse(path, "has no NIfTI-1 magic 'n+1'");
  for (int i = 0; i < 8; ++i) h.dim[i] = field<std::int16_t>(bytes, 40 + 2 * i, h.swap);
  h.datatype = field<std::int16_t>(bytes, 70, h.swap);
  h.bitpix = field<std::int16_t>(bytes, 72, h.swap);
  for (int i = 0; i < 8; ++i) h.pixdim[i] = field<float>(bytes, 76 + 4 * i, h.swap);
  float offset = field<float>(bytes, 108, h.swap);
  h.offset = offset >= kHeaderSize ? static_cast<std::size_t>(offset) : kHeaderSize;
  h.slope = field<float>(bytes, 112, h.swap);
  h.intercept = field<float>(bytes, 116, h.swap);
  if (h.dim[0] < 1 || h.dim[0] > 4) {
    refuse(path, "has " + std::to_string(h.dim[0]) + " dimensions: only 2D, 3D and 4D "
                 "(channels) images are read");
  }
  for (int i = 1; i <= h.dim[0]; ++i) {
    if (h.dim[i] < 1) refuse(path, "has a dimension of size " + std::to_string(h.dim[i]));
  }
  for (int i = h.dim[0] + 1; i <= 4; ++i) h.dim[i] = 1;
  return h;
}

template <class T>
void convert(const std::string& bytes, const Header& h, std::size_t count,
             std::vector<float>& out) {
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = static_cast<float>(field<T>(bytes, h.offset + i * sizeof(T), h.swap));
  }
}

std::size_t type_size(int datatype) {
  switch (datatype) {
    case 2: case 256: return 1;                 // uint8, int8
    case 4: case 512: return 2;                 // int16, uint16
    case 8: case 16: case 768: return 4;        // int32, float32, uint32
    case 64: case 1024: case 1280: return 8;    // float64, int64, uint64
    default: return 0;
  }
}

void decode(const std::string& bytes, const Header& h, std::size_t count, std::vector<float>& out,
            const std::string& path) {
  switch (h.datatype) {
    case 2: convert<std::uint8_t>(bytes, h, count, out); break;
    case 256: convert<std::int8_t>(bytes, h, count, out); break;
    case 4: convert<std::int16_t>(bytes, h, count, out); break;
    case 512: convert<std::uint16_t>(bytes, h, count, out); break;
    case 8: convert<std::int32_t>(bytes, h, count, out); break;
    case 768: convert<std::uint32_t>(bytes, h, count, out); break;
    case 16: convert<float>(bytes, h, count, out); break;
    case 64: convert<double>(bytes, h, count, out); break;
    case 1024: convert<std::int64_t>(bytes, h, count, out); break;
    case 1280: convert<std::uint64_t>(bytes, h, count, out); break;
    default:
      refuse(path, "has NIfTI data type " + std::to_string(h.datatype) +
                       ": only integer and real scalar types are read");
  }
}

double positive_or_one(double spacing) {
  return std::isfinite(spacing) && spacing > 0 ? spacing : 1.0;
}

}  // namespace

Volume read_nifti(const std::string& path) {
  std::string bytes = read_maybe_gzip(path);
  Header h = parse_header(bytes, path);
  std::size_t size = type_size(h.datatype);
  Volume v;
  v.width = h.dim[1];
  v.height = h.dim[2];
  v.depth = h.dim[3];
  v.channels = h.dim[4];
  v.volumetric = h.dim[0] >= 3;
  v.spacing = {positive_or_one(h.pixdim[3]), positive_or_one(h.pixdim[2]),
               positive_or_one(h.pixdim[1])};
  std::size_t count = static_cast<std::size_t>(v.size());
  if (size == 0) decode(bytes, h, 0, v.voxels, path);  // refuses the type by name
  if (bytes.size() < h.offset + count * size) {
    refuse(path, "is truncated: " + std::to_string(bytes.size()) + " bytes, its header needs " +
                     std::to_string(h.offset + count * size));
  }
  v.voxels.resize(count);
  decode(bytes, h, count, v.voxels, path);
  // x fastest, then y, z, channel: exactly [C, D, H, W] with W = x. Scaling when set (0 = none).
  if (h.slope != 0 && std::isfinite(h.slope) && (h.slope != 1 || h.intercept != 0)) {
    for (float& x : v.voxels) x = static_cast<float>(x * h.slope + h.intercept);
  }
  return v;
}

}  // namespace galien
