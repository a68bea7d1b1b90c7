// Reading a written shard's HDF5 structure directly in tests (format versions, datasets a
// version adds), bypassing galien's reader on purpose.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>

namespace galien::test {

// An integer attribute of the file's root group; -1 when it cannot be read.
inline std::int64_t int_attribute(const std::string& path, const char* name) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  std::int64_t value = -1;
  H5Aread(attr, H5T_NATIVE_INT64, &value);
  H5Aclose(attr);
  H5Fclose(file);
  return value;
}

inline bool has_dataset(const std::string& path, const char* name) {
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const bool found = H5Lexists(file, name, H5P_DEFAULT) > 0;
  H5Fclose(file);
  return found;
}

}  // namespace galien::test
