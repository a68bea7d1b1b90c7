// Whole-file reads through zlib: gzip-compressed files are inflated, plain files read as they
// are (zlib's transparent mode), so .nii and .nii.gz, idx and idx.gz share one path.
#pragma once

#include <string>

namespace galien {

// UserError naming `path` when it cannot be opened or its compressed stream is damaged.
std::string read_maybe_gzip(const std::string& path);

}  // namespace galien
