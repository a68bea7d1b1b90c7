#include "datasets/imaging/gz_file.h"

#include <zlib.h>

#include "core/error.h"

namespace galien {

std::string read_maybe_gzip_prefix(const std::string& path, std::size_t max_bytes,
                                   const std::string& shown) {
  const std::string& name = shown.empty() ? path : shown;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) GALIEN_USER_ERROR("cannot open " << name << ": check the path");
  std::string bytes(max_bytes, '\0');
  int n = max_bytes == 0 ? 0 : gzread(file, bytes.data(), static_cast<unsigned>(max_bytes));
  int error = 0;
  gzerror(file, &error);
  gzclose(file);
  // Z_BUF_ERROR: the stream ends before max_bytes; a file shorter than its header is reported by
  // the caller, which knows how long the header must be.
  if (n < 0 || (error != Z_OK && error != Z_BUF_ERROR)) {
    GALIEN_USER_ERROR("cannot read " << name << ": the compressed data is damaged or truncated; "
                                     << "copy the file again");
  }
  bytes.resize(static_cast<std::size_t>(n));
  return bytes;
}

std::string read_maybe_gzip(const std::string& path, const std::string& shown) {
  const std::string& name = shown.empty() ? path : shown;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) GALIEN_USER_ERROR("cannot open " << name << ": check the path");
  gzbuffer(file, 1 << 17);
  std::string bytes;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) bytes.append(buffer, buffer + n);
  int error = 0;
  gzerror(file, &error);
  gzclose(file);
  if (n < 0 || error != Z_OK) {  // Z_BUF_ERROR here: the stream ends early
    GALIEN_USER_ERROR("cannot read " << name << ": the compressed data is damaged or truncated; "
                                     << "copy the file again");
  }
  return bytes;
}

}  // namespace galien
