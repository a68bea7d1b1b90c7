// PNG images through libpng's simplified API: 8-bit gray (channels 1) or RGB (channels 3);
// 16-bit and palette images are converted by libpng, alpha is dropped.
#pragma once

#include <string>

#include "datasets/imaging/volume.h"

namespace galien {

// `channels`: 1 (gray), 3 (RGB), or 0 = as stored (1 for gray images, else 3). UserError
// naming the file when it is missing, not a PNG, or damaged: as `shown` when given (ChestX-ray14
// file names hold the patient ID, so the pipeline names the labels table line instead), else
// as `path`.
Volume read_png(const std::string& path, int channels, const std::string& shown = "");

}  // namespace galien
