#include "trainers/observability/tfrecord.h"

#include <cstdint>

#include "trainers/observability/crc32c.h"

namespace galien {
namespace {

// Explicit byte order: the format is little-endian whatever the host is.
void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

}  // namespace

std::string tfrecord_frame(std::string_view data) {
  std::string length;
  append_le(length, data.size(), 8);
  std::string record;
  record.reserve(data.size() + 16);
  record += length;
  append_le(record, masked_crc32c(length), 4);
  record += data;
  append_le(record, masked_crc32c(data), 4);
  return record;
}

}  // namespace galien
