// IDX files (MNIST, Fashion-MNIST; Debian's dataset-fashion-mnist ships them gzipped): a
// big-endian header (magic 0x0000TTNN: type TT, NN dimensions, then NN uint32 sizes) and the
// data. Only unsigned bytes (type 0x08) are read: images N x H x W and labels N.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace galien {

struct IdxArray {
  std::vector<std::int64_t> shape;
  std::string data;  // uint8, C order
};

// Reads `path` (.gz or plain). UserError naming the file when it is not an unsigned-byte IDX
// file or shorter than its header says.
IdxArray read_idx(const std::string& path);

}  // namespace galien
