#include "datasets/imaging/gz_file.h"

#include <zlib.h>

#include <algorithm>

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

std::string gzip_compress(const std::string& bytes, int level) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  GALIEN_CHECK(deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
               "zlib deflateInit2 failed");
  // zlib counts in 32-bit uInt: feed and drain at most 1 GiB at a time (float32 probabilities of
  // a large CT exceed 4 GiB).
  constexpr std::size_t kStep = std::size_t{1} << 30;
  std::string out;
  std::size_t in = 0;
  int status = Z_OK;
  char buffer[1 << 16];
  while (status != Z_STREAM_END) {
    if (stream.avail_in == 0 && in < bytes.size()) {
      const std::size_t n = std::min(kStep, bytes.size() - in);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in));
      stream.avail_in = static_cast<uInt>(n);
      in += n;
    }
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = deflate(&stream, in == bytes.size() ? Z_FINISH : Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) break;
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  deflateEnd(&stream);
  GALIEN_CHECK(status == Z_STREAM_END, "zlib deflate failed (" << status << ")");
  return out;
}

}  // namespace galien
