// What a checkpoint must have been trained with to be resumed: every config key except those
// that say where files are and how the job is run, not what is trained. So a run directory
// moved off a full disk (trainer.run_dir), shards copied to a job's scratch (data.shard_dir,
// still checked by the manifest's hash), another key file path or another launch section
// resume exactly; a changed model, optimiser, batch, seed or schedule is refused.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace galien {

// The keys left out of the identity, in schema order (documented in docs/training.md).
const std::vector<std::string>& location_keys();

// SHA-256 (64 hex digits) of the resolved values of every other schema key.
std::string training_identity_sha256(const Config& config);

}  // namespace galien
