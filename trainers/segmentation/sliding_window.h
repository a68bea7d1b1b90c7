// Whole-volume inference by sliding windows, as nnU-Net and MONAI's sliding_window_inference:
// windows of the training patch size tile the volume with trainer.inference.overlap (0.5 = half
// a patch between neighbours, the last window flush with the far edge), each window's logits
// are weighted by a Gaussian centred on it (sigma = patch / 8, nnU-Net's importance map; or
// uniformly) and the weighted sum is divided by the summed weights. A volume smaller than the
// patch is zero-padded for inference and the result cropped back. Optional mirroring averages
// the logits of the window and of its flips along every spatial axis (2^axes passes).
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

#include "models/model.h"

namespace galien {

struct WindowSettings {
  std::array<std::int64_t, 3> patch{1, 1, 1};  // D, H, W
  double overlap = 0.5;                        // [0, 1)
  bool gaussian = true;
  bool mirror = false;
  bool planar = false;      // the model takes [N, C, H, W] (unet2d): windows are single slices
  std::int64_t batch = 2;   // windows per forward pass
};

// Window starts along one axis of `size` voxels for windows of `patch` (size >= patch): the
// fewest evenly spaced starts whose step is at most patch * (1 - overlap), first 0, last
// size - patch.
std::vector<std::int64_t> window_starts(std::int64_t size, std::int64_t patch, double overlap);

// Logits [K, D, H, W] (float32, CPU) of `volume` [C, D, H, W] (float32, CPU), the model in
// eval mode on `device`. `num_classes` = K.
torch::Tensor sliding_window_logits(Model& model, const torch::Tensor& volume,
                                    std::int64_t num_classes, const WindowSettings& settings,
                                    torch::Device device);

}  // namespace galien
