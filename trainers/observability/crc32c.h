// CRC-32C (Castagnoli), the checksum of TFRecord framing. Table-driven in software: event
// files are a few kilobytes per epoch, so hardware CRC instructions would buy nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace galien {

// CRC-32C of `bytes` (reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF);
// crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::string_view bytes);

// TFRecord stores CRCs masked, so that a CRC of data that itself holds CRCs stays well mixed:
// ((crc >> 15) | (crc << 17)) + 0xa282ead8.
std::uint32_t masked_crc32c(std::string_view bytes);

}  // namespace galien
