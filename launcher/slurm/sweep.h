// Sweeps declared in the config (`sweep:` section): each entry of sweep.values is
// "key=[value, ...]"; grid mode takes every combination (first key slowest), list mode takes the
// i-th value of every key. A point is the list of overrides it adds to the command line.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"

namespace galien::slurm {

using SweepPoint = std::vector<std::string>;  // "optim.learning_rate=0.01", ...

// Empty when the config declares no sweep. Throws UserError at the entry's FILE:LINE:COLUMN
// (config.origins) saying what to fix: bad syntax, an unknown key (with the closest one), a value
// the schema refuses, a key that cannot be swept, list lengths that differ. Each value is
// checked alone, like an override; rules between keys need each point's config loaded.
std::vector<SweepPoint> sweep_points(const Config& config);

// The keys a sweep varies, in declaration order.
std::vector<std::string> swept_keys(const Config& config);

// The directory of point `index` inside a sweep directory: "point-3".
std::string point_dir_name(std::size_t index);

// Creates `sweep_dir`/point-i for every point and writes `sweep_dir`/sweep.json (the config,
// the overrides, the swept keys and each point's directory and overrides), which
// `galien runs summarize` reads.
void write_sweep_file(const std::string& sweep_dir, const Config& config,
                      const std::vector<std::string>& overrides,
                      const std::vector<SweepPoint>& points);

}  // namespace galien::slurm
