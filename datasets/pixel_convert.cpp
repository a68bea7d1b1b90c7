#include "datasets/pixel_convert.h"

#include "datasets/imaging/float16.h"

namespace galien {

// x86-64: one clone per vector width, chosen at load time (ifunc), so a binary built for the
// baseline (SSE2) still runs the division 8 or 16 lanes wide where the CPU can. IEEE division
// is correctly rounded in every width, so each clone gives the scalar loop's exact values.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GALIEN_PIXEL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GALIEN_PIXEL_CLONES
#endif

// A division per pixel, vectorised (-O3): faster here than the 256-entry table of b / 255.0f
// that served the scalar -O2 build (bench/bench_image_read.cpp, docs/BENCHMARKS.md "Data
// path"); the values are the same.
GALIEN_PIXEL_CLONES
void u8_to_unit_float(const std::uint8_t* in, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<float>(in[k]) / 255.0f;
}

GALIEN_PIXEL_CLONES
void u8_to_float(const std::uint8_t* in, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = static_cast<float>(in[k]);
}

void half_bytes_to_float(const std::uint8_t* in, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) {
    const auto bits = static_cast<std::uint16_t>(in[2 * k] | (in[2 * k + 1] << 8));
    out[k] = half_to_float(bits);
  }
}

GALIEN_PIXEL_CLONES
void u8_to_int64(const std::uint8_t* in, std::size_t n, std::int64_t* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = in[k];
}

}  // namespace galien
