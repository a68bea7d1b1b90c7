// Whole-file reads (and in-memory gzip for writers) through zlib: gzip-compressed files are
// inflated, plain files read as they are (zlib's transparent mode), so .nii and .nii.gz, idx
// and idx.gz share one path.
#pragma once

#include <cstddef>
#include <string>

namespace galien {

// At most the first `max_bytes` bytes (inflated), e.g. a header without its voxels; fewer when
// the file is shorter. Errors as read_maybe_gzip below.
std::string read_maybe_gzip_prefix(const std::string& path, std::size_t max_bytes,
                                   const std::string& shown = "");

// UserError naming the file when it cannot be opened or its compressed stream is damaged: as
// `shown` when given (a name that carries no patient key), else as `path`.
std::string read_maybe_gzip(const std::string& path, const std::string& shown = "");

// `bytes` as one gzip member (RFC 1952, what gzip and zlib's gzread read), at zlib `level`.
std::string gzip_compress(const std::string& bytes, int level = 6);

}  // namespace galien
