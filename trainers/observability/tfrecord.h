// TFRecord framing, the container of TensorBoard event files: for each record, its length
// (uint64, little-endian), the masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of
// the data. Readers check both CRCs and skip a file's torn tail.
#pragma once

#include <string>
#include <string_view>

namespace galien {

// The bytes of one framed record holding `data`.
std::string tfrecord_frame(std::string_view data);

}  // namespace galien
