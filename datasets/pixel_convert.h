// The conversions from a sample's stored bytes to what a batch holds, shared by the per-sample
// HDF5 path and the chunk-index path so both give the very same values: uint8 -> float as
// v / 255.0f (the division's exact values, what h5py + torch's .div_(255) gives),
// uint8 -> float unscaled, IEEE half bits (little-endian byte pairs, as stored) -> float,
// uint8 labels -> int64. Compiled at -O3 (datasets/CMakeLists.txt): these loops are the whole
// per-pixel cost of reading an in-memory shard.
#pragma once

#include <cstddef>
#include <cstdint>

namespace galien {

void u8_to_unit_float(const std::uint8_t* in, std::size_t n, float* out);  // v / 255.0f
void u8_to_float(const std::uint8_t* in, std::size_t n, float* out);       // v
// `in`: 2n bytes, n half floats in little-endian byte order (any alignment).
void half_bytes_to_float(const std::uint8_t* in, std::size_t n, float* out);
void u8_to_int64(const std::uint8_t* in, std::size_t n, std::int64_t* out);

}  // namespace galien
