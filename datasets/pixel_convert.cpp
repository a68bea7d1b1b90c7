#include "datasets/pixel_convert.h"

#include <array>
#include <cstring>

#include "datasets/imaging/float16.h"

namespace galien {
namespace {

// b / 255.0f for every byte: a table lookup per pixel gives the division's exact values
// without a division per pixel (measured faster than the vectorised division here; see
// bench/bench_image_read.cpp, docs/BENCHMARKS.md "Data path").
const std::array<float, 256>& unit_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[static_cast<std::size_t>(v)] = static_cast<float>(v) / 255.0f;
    return t;
  }();
  return table;
}

}  // namespace

void u8_to_unit_float(const std::uint8_t* in, std::size_t n, float* out) {
  const std::array<float, 256>& table = unit_table();
  for (std::size_t k = 0; k < n; ++k) out[k] = table[in[k]];
}

void u8_to_float(const std::uint8_t* in, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<float>(in[k]);
}

void half_bytes_to_float(const std::uint8_t* in, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) {
    const auto bits = static_cast<std::uint16_t>(in[2 * k] | (in[2 * k + 1] << 8));
    out[k] = half_to_float(bits);
  }
}

void u8_to_int64(const std::uint8_t* in, std::size_t n, std::int64_t* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = in[k];
}

}  // namespace galien
