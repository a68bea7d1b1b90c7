// Small filesystem helpers. write_file_atomic is how every result file is written: temporary
// file in the same directory, fsync, rename, fsync of the directory — a crash or a kill leaves
// either the old file or the new one, never half of one.
#pragma once

#include <string>

namespace galien {

void write_file_atomic(const std::string& path, const std::string& contents, unsigned mode = 0644);
std::string read_file(const std::string& path);  // UserError naming the path if unreadable
void make_directories(const std::string& path);  // UserError naming the path on failure

}  // namespace galien
