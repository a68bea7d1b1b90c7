#include "datasets/imaging/idx.h"

#include "core/error.h"
#include "datasets/imaging/gz_file.h"

namespace galien {
namespace {

std::uint32_t big_endian(const std::string& bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::string bytes = read_maybe_gzip(path);
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08) {
    GALIEN_USER_ERROR(path << " is not an unsigned-byte IDX file (MNIST layout)");
  }
  std::size_t dims = static_cast<unsigned char>(bytes[3]);
  if (dims < 1 || bytes.size() < 4 + 4 * dims) GALIEN_USER_ERROR(path << ": truncated IDX header");
  IdxArray array;
  // The product is checked while it is formed: sizes such as 65536 x 65536 x 65536 x 65536
  // wrapped to 0 and passed the length check, leaving a shape that promised data that was not
  // there (found by fuzzing: tests/fuzz/regressions/idx/).
  const std::size_t start = 4 + 4 * dims;
  const std::size_t available = bytes.size() - start;
  std::size_t count = 1;
  bool fits = true;
  for (std::size_t d = 0; d < dims; ++d) {
    array.shape.push_back(big_endian(bytes, 4 + 4 * d));
    const auto size = static_cast<std::size_t>(array.shape.back());
    if (size == 0) {
      count = 0;
      fits = true;
      continue;
    }
    if (count != 0 && (!fits || count > available / size)) {
      fits = false;
      continue;
    }
    count *= size;
  }
  if (!fits && count != 0) {
    GALIEN_USER_ERROR(path << " is truncated: " << available << " data bytes, fewer than its "
                           << "header's sizes need; copy it again");
  }
  if (bytes.size() < start + count) {
    GALIEN_USER_ERROR(path << " is truncated: " << bytes.size() - start << " data bytes, "
                           << count << " expected; copy it again");
  }
  array.data = bytes.substr(start, count);
  return array;
}

}  // namespace galien
