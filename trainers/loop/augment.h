// Image augmentation for training batches (augment.*): random horizontal/vertical flips,
// quarter turns (square images), contrast/brightness jitter and random crops of a zero-padded
// image (translation by up to crop_padding pixels), on the CPU in the loader thread. The draw for a sample depends only on (trainer.seed, epoch, shard,
// index in shard), never on the rank or the batch it lands in, so 1 and N ranks see the same
// augmented samples and a resumed run repeats them exactly.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "core/config/config.h"
#include "datasets/epoch_plan.h"

namespace galien {

bool augmentation_enabled(const AugmentConfig& config);

// Augments `images` ([n, C, H, W] or [n, C, D, H, W], float32, CPU) in place; `samples[i]` is
// row i's identity. Flips act on W (horizontal) and H (vertical); crops on H and W.
void augment_images(torch::Tensor& images, const std::vector<SampleRef>& samples,
                    const AugmentConfig& config, std::uint64_t seed, std::uint64_t epoch);

}  // namespace galien
