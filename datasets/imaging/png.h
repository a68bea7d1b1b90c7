// PNG images through libpng's simplified API: 8-bit gray (channels 1) or RGB (channels 3);
// 16-bit and palette images are converted by libpng, alpha is dropped.
#pragma once

#include <string>

#include "datasets/imaging/volume.h"

namespace galien {

// `channels`: 1 (gray), 3 (RGB), or 0 = as stored (1 for gray images, else 3). UserError
// naming `path` when the file is missing, not a PNG, or damaged.
Volume read_png(const std::string& path, int channels);

}  // namespace galien
