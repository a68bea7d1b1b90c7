#include "datasets/imaging/nifti_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "datasets/imaging/gz_file.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using Matrix3 = std::array<std::array<double, 3>, 3>;

constexpr std::size_t kVoxOffset = 352;  // 348-byte header + 4 bytes of "no extension"
constexpr std::int16_t kIntentLabel = 1002;
constexpr char kUnitsMm = 2;

// The host's byte order: readers tell it from sizeof_hdr (NIfTI allows either).
template <class T>
void put(std::string& header, std::size_t offset, T value) {
  std::memcpy(header.data() + offset, &value, sizeof(T));
}

double determinant(const Matrix3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

// The closest orthogonal matrix (polar decomposition, as nibabel's set_qform takes with an
// SVD), by Newton's iteration R <- (R + R^-T) / 2: quadratic convergence for the
// near-orthogonal rotations of real scanners, exact at once for an orthogonal one.
Matrix3 orthogonalise(Matrix3 r) {
  for (int iteration = 0; iteration < 50; ++iteration) {
    const double det = determinant(r);
    Matrix3 inverse_t{};  // (R^-1)^T = cofactor matrix / det
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        const int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
        inverse_t[i][j] = (r[i1][j1] * r[i2][j2] - r[i1][j2] * r[i2][j1]) / det;
      }
    }
    double change = 0;
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        const double next = (r[i][j] + inverse_t[i][j]) / 2;
        change = std::max(change, std::abs(next - r[i][j]));
        r[i][j] = next;
      }
    }
    if (change < 1e-15) break;
  }
  return r;
}

// nifti1_io.c, nifti_mat44_to_quatern: (b, c, d) of the unit quaternion with a >= 0.
std::array<double, 3> quaternion(const Matrix3& r) {
  double a = r[0][0] + r[1][1] + r[2][2] + 1.0, b, c, d;
  if (a > 0.5) {
    a = 0.5 * std::sqrt(a);
    b = 0.25 * (r[2][1] - r[1][2]) / a;
    c = 0.25 * (r[0][2] - r[2][0]) / a;
    d = 0.25 * (r[1][0] - r[0][1]) / a;
  } else {
    const double xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
    const double yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
    const double zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
    if (xd > 1.0) {
      b = 0.5 * std::sqrt(xd);
      c = 0.25 * (r[0][1] + r[1][0]) / b;
      d = 0.25 * (r[0][2] + r[2][0]) / b;
      a = 0.25 * (r[2][1] - r[1][2]) / b;
    } else if (yd > 1.0) {
      c = 0.5 * std::sqrt(yd);
      b = 0.25 * (r[0][1] + r[1][0]) / c;
      d = 0.25 * (r[1][2] + r[2][1]) / c;
      a = 0.25 * (r[0][2] - r[2][0]) / c;
    } else {
      d = 0.5 * std::sqrt(zd);
      b = 0.25 * (r[0][2] + r[2][0]) / d;
      c = 0.25 * (r[1][2] + r[2][1]) / d;
      a = 0.25 * (r[1][0] - r[0][1]) / d;
    }
    if (a < 0) b = -b, c = -c, d = -d;
  }
  return {b, c, d};
}

std::string header_of(const Volume& v, const std::vector<double>& affine, NiftiType type,
                      const NiftiWriteOptions& options, const std::string& path) {
  if (affine.size() != 16 ||
      !std::all_of(affine.begin(), affine.end(), [](double x) { return std::isfinite(x); }) ||
      affine[12] != 0 || affine[13] != 0 || affine[14] != 0 || affine[15] != 1) {
    GALIEN_USER_ERROR("cannot write " << path << ": the affine is not 16 finite values with a last "
                      << "row 0 0 0 1 (the sample's /image_meta 'affine')");
  }
  Matrix3 rzs{};
  std::array<double, 3> zoom{};
  for (int c = 0; c < 3; ++c) {
    for (int r = 0; r < 3; ++r) rzs[r][c] = affine[static_cast<std::size_t>(4 * r + c)];
    zoom[c] = std::sqrt(rzs[0][c] * rzs[0][c] + rzs[1][c] * rzs[1][c] + rzs[2][c] * rzs[2][c]);
  }
  Matrix3 rotation{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) rotation[r][c] = zoom[c] > 0 ? rzs[r][c] / zoom[c] : 0.0;
  }
  const double det = determinant(rotation);
  if (!(std::abs(det) > 1e-6)) {
    GALIEN_USER_ERROR("cannot write " << path << ": the affine's 3 x 3 part is singular (a voxel "
                      << "axis of length 0, or two axes along one direction)");
  }
  // qfac -1 flips the k axis so that the rest is a proper rotation (determinant +1).
  const double qfac = det > 0 ? 1.0 : -1.0;
  if (qfac < 0) {
    for (int r = 0; r < 3; ++r) rotation[r][2] = -rotation[r][2];
  }
  const std::array<double, 3> quatern = quaternion(orthogonalise(rotation));

  std::string h(kVoxOffset, '\0');
  put<std::int32_t>(h, 0, 348);                                   // sizeof_hdr
  h[38] = 'r';                                                    // regular
  const bool four_d = v.channels > 1;
  const std::array<std::int64_t, 8> dims{four_d ? 4 : 3, v.width, v.height, v.depth,
                                         v.channels,     1,       1,        1};
  for (int i = 0; i < 8; ++i) {
    if (dims[static_cast<std::size_t>(i)] > 32767) {
      GALIEN_USER_ERROR("cannot write " << path << ": a dimension of " << v.shape_text()
                        << " exceeds NIfTI-1's 32767");
    }
    put<std::int16_t>(h, 40 + 2 * static_cast<std::size_t>(i),
                      static_cast<std::int16_t>(dims[static_cast<std::size_t>(i)]));
  }
  const bool labels = type == NiftiType::kUint8;
  if (labels) put<std::int16_t>(h, 68, kIntentLabel);             // intent_code
  put<std::int16_t>(h, 70, labels ? 2 : 16);                      // datatype
  put<std::int16_t>(h, 72, labels ? 8 : 32);                      // bitpix
  const std::array<float, 8> pixdim{static_cast<float>(qfac), static_cast<float>(zoom[0]),
                                    static_cast<float>(zoom[1]), static_cast<float>(zoom[2]),
                                    1.0f, 1.0f, 1.0f, 1.0f};
  for (std::size_t i = 0; i < 8; ++i) put<float>(h, 76 + 4 * i, pixdim[i]);
  put<float>(h, 108, static_cast<float>(kVoxOffset));             // vox_offset
  put<float>(h, 112, 1.0f);                                       // scl_slope
  put<float>(h, 116, 0.0f);                                       // scl_inter
  h[123] = kUnitsMm;                                              // xyzt_units
  std::string description = options.description.substr(0, 79);
  std::memcpy(h.data() + 148, description.data(), description.size());  // descrip[80]
  const auto code = static_cast<std::int16_t>(options.xform_code > 0 ? options.xform_code : 2);
  put<std::int16_t>(h, 252, code);                                // qform_code
  put<std::int16_t>(h, 254, code);                                // sform_code
  for (std::size_t i = 0; i < 3; ++i) {
    put<float>(h, 256 + 4 * i, static_cast<float>(quatern[i]));   // quatern_b, c, d
    put<float>(h, 268 + 4 * i, static_cast<float>(affine[4 * i + 3]));  // qoffset_x, y, z
  }
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      put<float>(h, 280 + 16 * r + 4 * c, static_cast<float>(affine[4 * r + c]));  // srow_*
    }
  }
  std::memcpy(h.data() + 344, "n+1", 4);                          // magic, NUL-terminated
  return h;  // bytes 348-351: extension flag 0, none follows
}

std::string voxels_of(const Volume& v, NiftiType type, const std::string& path) {
  std::string bytes;
  if (type == NiftiType::kUint8) {
    bytes.resize(v.voxels.size());
    for (std::size_t i = 0; i < v.voxels.size(); ++i) {
      const float x = v.voxels[i];
      if (!(x >= 0.0f && x <= 255.0f) || x != std::floor(x)) {
        GALIEN_USER_ERROR("cannot write " << path << " as uint8 labels: voxel " << i << " holds "
                          << x << ", not an integer in 0-255");
      }
      bytes[i] = static_cast<char>(static_cast<std::uint8_t>(x));
    }
  } else {
    bytes.resize(v.voxels.size() * sizeof(float));
    std::memcpy(bytes.data(), v.voxels.data(), bytes.size());
  }
  return bytes;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some filesystems refuse directory fsync
  ::fsync(fd);
  ::close(fd);
}

// Temporary file in the target's folder, fsync, then link (refuses an existing target
// atomically) or rename (overwrite). Filesystems without hard links fall back to a check and
// a rename.
void write_atomic(const std::string& path, const std::string& contents, bool overwrite) {
  const fs::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const std::string tmp =
      (fs::path(dir) / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid())))
          .string();
  if (!overwrite && fs::exists(target)) {
    GALIEN_USER_ERROR(path << " exists: remove it, choose another output folder, or ask for "
                      << "overwriting");
  }
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) GALIEN_USER_ERROR("cannot write " << path << ": " << std::strerror(errno));
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    GALIEN_USER_ERROR("cannot " << what << " " << path << ": " << std::strerror(err));
  };
  if (::fchmod(fd, 0600) != 0) fail("set the mode of");  // whatever the umask
  const char* data = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("flush");
  ::close(fd);
  int status = 0;
  if (overwrite) {
    status = ::rename(tmp.c_str(), path.c_str());
  } else {
    status = ::link(tmp.c_str(), path.c_str());
    if (status != 0 && errno == EEXIST) {
      ::unlink(tmp.c_str());
      GALIEN_USER_ERROR(path << " exists: remove it, choose another output folder, or ask for "
                        << "overwriting");
    }
    if (status != 0 && (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP ||
                        errno == EMLINK || errno == ENOSYS)) {
      status = ::rename(tmp.c_str(), path.c_str());  // no hard links here: checked above
    } else if (status == 0) {
      ::unlink(tmp.c_str());
    }
  }
  if (status != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    GALIEN_USER_ERROR("cannot write " << path << ": " << std::strerror(err));
  }
  fsync_directory(dir);
}

}  // namespace

void write_nifti(const std::string& path, const Volume& volume, const std::vector<double>& affine,
                 NiftiType type, const NiftiWriteOptions& options) {
  GALIEN_CHECK(volume.size() == static_cast<std::int64_t>(volume.voxels.size()) &&
                   volume.size() > 0,
               "volume " << volume.shape_text() << " holds " << volume.voxels.size() << " voxels");
  std::string bytes = header_of(volume, affine, type, options, path);
  bytes += voxels_of(volume, type, path);
  if (ends_with(path, ".gz")) bytes = gzip_compress(bytes);
  write_atomic(path, bytes, options.overwrite);
}

}  // namespace galien
