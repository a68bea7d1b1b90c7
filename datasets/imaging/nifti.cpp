#include "datasets/imaging/nifti.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "datasets/imaging/gz_file.h"
#include "datasets/imaging/orientation.h"

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
  int qform_code = 0, sform_code = 0;
  double quatern[3] = {};  // b, c, d
  double qoffset[3] = {};  // x, y, z
  double srow[3][4] = {};  // srow_x, srow_y, srow_z
};

// `name`: how errors name the file ("NIfTI file PATH", or the pipeline's name for a case).
[[noreturn]] void refuse(const std::string& name, const std::string& why) {
  GALIEN_USER_ERROR(name << " " << why);
}

// `header_only`: `bytes` is the header without the voxels (read_nifti_header), so vox_offset
// may lie past them; read_nifti checks it against the whole file.
Header parse_header(const std::string& bytes, const std::string& name, bool header_only = false) {
  if (bytes.size() < kHeaderSize) refuse(name, "is truncated (shorter than its 348-byte header)");
  Header h;
  std::int32_t size = field<std::int32_t>(bytes, 0, false);
  if (size == 540 || field<std::int32_t>(bytes, 0, true) == 540) {
    refuse(name, "is NIfTI-2: convert it to NIfTI-1 (e.g. nibabel's Nifti1Image)");
  }
  if (size != 348) {
    h.swap = true;
    if (field<std::int32_t>(bytes, 0, true) != 348) refuse(name, "is not a NIfTI-1 file");
  }
  std::string magic = bytes.substr(344, 3);
  if (magic == "ni1") refuse(name, "is a .hdr/.img pair: convert it to a single .nii(.gz) file");
  if (magic != "n+1") refuse(name, "has no NIfTI-1 magic 'n+1'");
  for (int i = 0; i < 8; ++i) h.dim[i] = field<std::int16_t>(bytes, 40 + 2 * i, h.swap);
  h.datatype = field<std::int16_t>(bytes, 70, h.swap);
  h.bitpix = field<std::int16_t>(bytes, 72, h.swap);
  for (int i = 0; i < 8; ++i) h.pixdim[i] = field<float>(bytes, 76 + 4 * i, h.swap);
  float offset = field<float>(bytes, 108, h.swap);
  // vox_offset is a float: NaN, infinite or past the end of the file is a damaged header. Found
  // by fuzzing (tests/fuzz/regressions/nifti/): casting a huge value to size_t is undefined, and
  // on x86 the offset it gave could wrap the size check and read outside the file.
  const double limit = header_only ? 0x1p53 : static_cast<double>(bytes.size());
  if (!std::isfinite(offset) || offset > limit) {
    refuse(name, "has vox_offset " + std::to_string(offset) + " outside its " +
                     std::to_string(bytes.size()) + " bytes: its header is damaged; copy it again");
  }
  h.offset = offset >= kHeaderSize ? static_cast<std::size_t>(offset) : kHeaderSize;
  h.slope = field<float>(bytes, 112, h.swap);
  h.intercept = field<float>(bytes, 116, h.swap);
  h.qform_code = field<std::int16_t>(bytes, 252, h.swap);
  h.sform_code = field<std::int16_t>(bytes, 254, h.swap);
  for (int i = 0; i < 3; ++i) h.quatern[i] = field<float>(bytes, 256 + 4 * i, h.swap);
  for (int i = 0; i < 3; ++i) h.qoffset[i] = field<float>(bytes, 268 + 4 * i, h.swap);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) h.srow[r][c] = field<float>(bytes, 280 + 16 * r + 4 * c, h.swap);
  }
  if (h.dim[0] < 1 || h.dim[0] > 4) {
    refuse(name, "has " + std::to_string(h.dim[0]) + " dimensions: only 2D, 3D and 4D "
                 "(channels) images are read");
  }
  for (int i = 1; i <= h.dim[0]; ++i) {
    if (h.dim[i] < 1) refuse(name, "has a dimension of size " + std::to_string(h.dim[i]));
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
            const std::string& name) {
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
      refuse(name, "has NIfTI data type " + std::to_string(h.datatype) +
                       ": only integer and real scalar types are read");
  }
}

double positive_or_one(double spacing) {
  return std::isfinite(spacing) && spacing > 0 ? spacing : 1.0;
}

struct Rotation {
  double m[3][3];
};

// nifti1.h, quatern_to_mat44: rotation from the unit quaternion (a, b, c, d) of the qform;
// qfac (pixdim[0] = -1) is applied by the callers to the k axis.
Rotation qform_rotation(const Header& h) {
  const double b = h.quatern[0], c = h.quatern[1], q = h.quatern[2];
  const double a = std::sqrt(std::max(0.0, 1.0 - (b * b + c * c + q * q)));
  return {{{a * a + b * b - c * c - q * q, 2 * (b * c - a * q), 2 * (b * q + a * c)},
           {2 * (b * c + a * q), a * a + c * c - b * b - q * q, 2 * (c * q - a * b)},
           {2 * (b * q - a * c), 2 * (c * q + a * b), a * a + q * q - c * c - b * b}}};
}

// The world (RAS+) direction of voxel axes i, j, k, as nibabel's get_best_affine chooses: the
// sform when sform_code is set, else the qform when qform_code is set (NIfTI-1 methods 3 and 2).
// Neither (method 1, ANALYZE-era files) gives no orientation: the volume stays as stored.
std::optional<AxisDirections> axis_directions(const Header& h) {
  AxisDirections d{};
  if (h.sform_code != 0) {
    for (int axis = 0; axis < 3; ++axis) {
      for (int w = 0; w < 3; ++w) d[axis][w] = h.srow[w][axis];
    }
    return d;
  }
  if (h.qform_code == 0) return std::nullopt;
  // Voxel sizes do not change directions.
  const Rotation r = qform_rotation(h);
  const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
  for (int axis = 0; axis < 3; ++axis) {
    for (int w = 0; w < 3; ++w) d[axis][w] = r.m[w][axis] * (axis == 2 ? qfac : 1.0);
  }
  return d;
}

// The file's grid and affine, as nibabel's get_best_affine (nifti.h, NiftiGeometry).
NiftiGeometry geometry_of(const Header& h) {
  NiftiGeometry g;
  g.shape = {h.dim[1], h.dim[2], h.dim[3]};
  g.affine.assign(16, 0.0);
  g.affine[15] = 1.0;
  auto at = [&g](int r, int c) -> double& { return g.affine[static_cast<std::size_t>(4 * r + c)]; };
  const double zoom[3] = {positive_or_one(h.pixdim[1]), positive_or_one(h.pixdim[2]),
                          positive_or_one(h.pixdim[3])};
  if (h.sform_code != 0) {
    g.xform_code = h.sform_code;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) at(r, c) = h.srow[r][c];
    }
  } else if (h.qform_code != 0) {
    // nibabel's get_qform: R diag(pixdim[1], pixdim[2], qfac pixdim[3]), then qoffset.
    g.xform_code = h.qform_code;
    const Rotation rot = qform_rotation(h);
    const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) at(r, c) = rot.m[r][c] * zoom[c] * (c == 2 ? qfac : 1.0);
      at(r, 3) = h.qoffset[r];
    }
  } else {
    // nibabel's get_base_affine (shape_zoom_affine with x_flip): the centre of the grid at 0.
    const double sign[3] = {-1.0, 1.0, 1.0};
    for (int r = 0; r < 3; ++r) {
      at(r, r) = sign[r] * zoom[r];
      at(r, 3) = -(static_cast<double>(g.shape[static_cast<std::size_t>(r)]) - 1) / 2.0 *
                 sign[r] * zoom[r];
    }
  }
  return g;
}

}  // namespace

Volume read_nifti(const std::string& path, const std::string& shown, NiftiGeometry* geometry) {
  const std::string name = shown.empty() ? "NIfTI file " + path : shown;
  std::string bytes = read_maybe_gzip(path, shown);
  Header h = parse_header(bytes, name);
  if (geometry != nullptr) *geometry = geometry_of(h);
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
  if (size == 0) decode(bytes, h, 0, v.voxels, name);  // refuses the type by name
  if (bytes.size() < h.offset + count * size) {
    refuse(name, "is truncated: " + std::to_string(bytes.size()) + " bytes, its header needs " +
                     std::to_string(h.offset + count * size));
  }
  v.voxels.resize(count);
  decode(bytes, h, count, v.voxels, name);
  // x fastest, then y, z, channel: exactly [C, D, H, W] with W = x. Scaling when set (0 = none).
  if (h.slope != 0 && std::isfinite(h.slope) && (h.slope != 1 || h.intercept != 0)) {
    for (float& x : v.voxels) x = static_cast<float>(x * h.slope + h.intercept);
  }
  // Before any resampling: axes permuted and flipped to RAS+, no interpolation.
  if (std::optional<AxisDirections> directions = axis_directions(h)) {
    reorient_to_ras(v, *directions);
  }
  return v;
}

Volume read_nifti_header(const std::string& path, const std::string& shown) {
  const std::string name = shown.empty() ? "NIfTI file " + path : shown;
  Header h = parse_header(read_maybe_gzip_prefix(path, kHeaderSize, shown), name, true);
  std::vector<float> none;
  if (type_size(h.datatype) == 0) decode("", h, 0, none, name);  // refuses the type by name
  // read_nifti's geometry, line for line (tests/unit/test_segmentation_shard.cpp compares the
  // two readers on every orientation fixture).
  Volume v;
  v.width = h.dim[1];
  v.height = h.dim[2];
  v.depth = h.dim[3];
  v.channels = h.dim[4];
  v.volumetric = h.dim[0] >= 3;
  v.spacing = {positive_or_one(h.pixdim[3]), positive_or_one(h.pixdim[2]),
               positive_or_one(h.pixdim[1])};
  // The same reorientation: on a volume without voxels it moves only sizes and spacing.
  if (std::optional<AxisDirections> directions = axis_directions(h)) {
    reorient_to_ras(v, *directions);
  }
  return v;
}

}  // namespace galien
