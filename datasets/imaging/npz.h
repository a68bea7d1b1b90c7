// NumPy arrays: .npy (header + raw little-endian data) inside .npz zip archives (stored or
// deflated entries, zip64 as numpy writes them), read through minizip. MedMNIST ships its
// splits this way: train_images, train_labels, val_*, test_*.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

struct NpyArray {
  std::vector<std::int64_t> shape;
  char kind = 'u';          // numpy kind: 'u' unsigned, 'i' signed, 'f' float, 'b' bool
  std::size_t item_size = 1;
  std::string data;         // C order, little-endian

  std::int64_t size() const;             // number of elements
  double at(std::int64_t index) const;   // element as a double
};

// The entries of an .npz archive, e.g. "train_images" (without ".npy").
std::vector<std::string> npz_entries(const std::string& path);
// Entry `name` (without ".npy"). UserError naming the file and entry when it is missing,
// damaged, Fortran-ordered, big-endian or not a numeric type.
NpyArray read_npz_array(const std::string& path, const std::string& name);
// Parses one .npy file's bytes; `what` names it in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& what);

}  // namespace galien
