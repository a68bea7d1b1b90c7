// bench_image_read: how fast one rank reads image shards written by `galien shard` (plain,
// gzip-compressed chunks, AES-256-GCM encrypted), through both read paths of the trainer
// (trainer.shard_reader: chunk_index and hdf5) on the same shards in the same run, beside a raw
// read of the same files from the page cache (docs/BENCHMARKS.md, "Data path: image shards";
// bench/read_torch.py is the h5py + DataLoader side, on the same files).
//
// For each NAME=DIR given, on the train split, files already in the page cache (one untimed
// pass), each case timed --repeats times in alternating order:
//   raw                read() every shard file into memory, nothing else
//   open, PATH         what a rank does once per job: RankShards of a 1-rank job (read each file
//                      once, verify it: SHA-256 against the authenticated manifest, or the GCM tag
//                      while decrypting in place; open the HDF5 image in memory; with the chunk
//                      index, check it)
//   epoch, PATH        what it does every epoch: every sample once in a shuffled order,
//                      RankShards::gather_images in batches of --batch (uint8 -> float / 255):
//                      the trainer's image path
//   pass, PATH         open + epoch: one full read of the split, what h5py + DataLoader is
//                      compared with
// PATH = "chunk index" (decoded from the file image at each chunk's recorded offset, no HDF5
// call per sample) or "hdf5" (one H5Dread per sample, the only path before shard format 1.4).
// With --ranks-dataset NAME, also per-rank throughput by ownership mode (issue 15 item 4,
// datasets/sample_ownership.h), ranks simulated one after another in this process, chunk index:
//   epoch/pass, whole shards (W ranks)   W = the shard count: each rank owns one whole shard
//   epoch/pass, ranges (W ranks)         W = 1.5 x the shard count: each rank owns a contiguous
//                                        range, part of one shard or parts of two, and loads
//                                        (verifies) the whole shards its range touches
// samples/s there = all ranks' samples / the sum of their times: one rank's rate.
// Prints one JSON object per case and directory: median wall and CPU seconds, samples/s,
// pixel MB/s (decoded uint8 bytes) and file MB/s (bytes on disk).
// Usage: bench_image_read [--key KEYFILE] [--repeats 7] [--batch 32] [--ranks-dataset NAME]
//        [--only CASE] NAME=DIR ...
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "datasets/encrypted_shard.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_store.h"
#include "privacy/data_keys.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Dataset {
  std::string name, dir;
  Manifest manifest;
  std::vector<ShardEntry> entries;
  std::uintmax_t file_bytes = 0;
  std::int64_t samples = 0, sample_pixels = 0;
};

struct Path {
  const char* name;  // in the case names: "chunk index", "hdf5"
  ShardReadPath path;
};
const Path kPaths[] = {{"chunk index", ShardReadPath::kChunkIndex}, {"hdf5", ShardReadPath::kHdf5}};

std::unique_ptr<RankShards> open_rank(const Dataset& d, const DataKeys* keys, ShardReadPath path,
                                      int world, int rank) {
  return std::make_unique<RankShards>(d.dir, d.manifest, "train", world, rank, keys, path);
}

// Every owned sample once, shuffled, gathered in float batches scaled to [0, 1] as the
// trainer's loader does (RankShards::gather_images).
std::size_t read_epoch(const RankShards& shards, int batch, std::uint64_t seed) {
  std::vector<SampleRef> order = shards.all_owned_samples();
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  std::size_t pixels = 1;
  for (std::int64_t dim : shards.image_shape()) pixels *= static_cast<std::size_t>(dim);
  std::vector<float> buffer(static_cast<std::size_t>(batch) * pixels);
  std::size_t sink = 0;
  for (std::size_t at = 0; at < order.size(); at += static_cast<std::size_t>(batch)) {
    const std::vector<SampleRef> part(
        order.begin() + static_cast<std::ptrdiff_t>(at),
        order.begin() + static_cast<std::ptrdiff_t>(
                            std::min(order.size(), at + static_cast<std::size_t>(batch))));
    shards.gather_images(part, buffer.data());
    sink += buffer[0] > 0.5f;
  }
  return sink;
}

struct Case {
  Dataset* data;
  std::string name;
  std::function<std::size_t()> run;
  std::vector<double> wall, cpu;
  int world_size = 1;  // ranks simulated (ownership cases); every case reads every sample
};

int run(const std::vector<std::string>& specs, const std::string& key_file, int repeats, int batch,
        const std::string& ranks_dataset, const std::string& only) {
  const std::optional<DataKeys> keys = load_data_keys(key_file);
  const DataKeys* key = keys ? &*keys : nullptr;
  std::vector<std::unique_ptr<Dataset>> datasets;
  for (const std::string& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expected NAME=DIR, got " + spec);
    auto d = std::make_unique<Dataset>();
    d->name = spec.substr(0, eq);
    d->dir = spec.substr(eq + 1);
    d->manifest = load_manifest(d->dir, key);
    d->entries = d->manifest.splits.at("train").shards;
    for (const ShardEntry& e : d->entries) {
      d->file_bytes += fs::file_size(fs::path(d->dir) / e.file);
      d->samples += e.num_samples;
    }
    const auto probe = open_rank(*d, key, ShardReadPath::kAuto, 1, 0);
    d->sample_pixels = 1;
    for (std::int64_t dim : probe->image_shape()) d->sample_pixels *= dim;
    if (!probe->uses_chunk_index())
      throw std::runtime_error(d->dir +
                               ": shards without a chunk index (written before format "
                               "1.4): re-run galien shard");
    datasets.push_back(std::move(d));
  }
  std::vector<Case> cases;
  std::uint64_t epoch = 0;
  // Opened once for the epoch cases, one per dataset and path; the ranks of the ownership cases.
  std::vector<std::unique_ptr<RankShards>> opened;
  std::deque<std::vector<std::unique_ptr<RankShards>>> rank_sets;  // deque: stable addresses
  for (auto& d : datasets) {
    Dataset* p = d.get();
    cases.push_back({p,
                     "raw",
                     [p] {
                       std::size_t n = 0;
                       for (const ShardEntry& e : p->entries)
                         n += read_shard_bytes(p->dir + "/" + e.file).size;
                       return n;
                     },
                     {},
                     {}});
    for (const Path& path : kPaths) {
      const ShardReadPath mode = path.path;
      opened.push_back(open_rank(*p, key, mode, 1, 0));
      const RankShards* shards = opened.back().get();
      cases.push_back({p,
                       std::string("open, ") + path.name,
                       [p, key, mode] { return open_rank(*p, key, mode, 1, 0)->owned().size(); },
                       {},
                       {}});
      cases.push_back({p,
                       std::string("epoch, ") + path.name,
                       [shards, batch, &epoch] { return read_epoch(*shards, batch, ++epoch); },
                       {},
                       {}});
      cases.push_back({p,
                       std::string("pass, ") + path.name,
                       [p, key, mode, batch, &epoch] {
                         return read_epoch(*open_rank(*p, key, mode, 1, 0), batch, ++epoch);
                       },
                       {},
                       {}});
    }
    if (p->name != ranks_dataset) continue;
    // Ownership modes: one whole shard per rank vs ranges over 1.5x as many ranks.
    const int shards = static_cast<int>(p->entries.size());
    for (const auto& [mode, world] :
         {std::pair{"whole shards", shards}, std::pair{"ranges", shards + (shards + 1) / 2}}) {
      const std::string label = std::string(mode) + " (" + std::to_string(world) + " ranks)";
      rank_sets.emplace_back();
      for (int r = 0; r < world; ++r)
        rank_sets.back().push_back(open_rank(*p, key, ShardReadPath::kChunkIndex, world, r));
      const auto* ranks = &rank_sets.back();
      cases.push_back({p,
                       "rank epoch, " + label,
                       [ranks, batch, &epoch] {
                         std::size_t sink = 0;
                         for (const auto& rank : *ranks) sink += read_epoch(*rank, batch, ++epoch);
                         return sink;
                       },
                       {},
                       {},
                       world});
      cases.push_back({p,
                       "rank pass, " + label,
                       [p, key, world, batch, &epoch] {
                         std::size_t sink = 0;
                         for (int r = 0; r < world; ++r)
                           sink +=
                               read_epoch(*open_rank(*p, key, ShardReadPath::kChunkIndex, world, r),
                                          batch, ++epoch);
                         return sink;
                       },
                       {},
                       {},
                       world});
    }
  }
  if (!only.empty()) {  // profiling one case (perf record): the others are not run
    cases.erase(
        std::remove_if(cases.begin(), cases.end(),
                       [&](const Case& c) { return c.name.find(only) == std::string::npos; }),
        cases.end());
  }
  std::size_t sink = 0;
  for (Case& c : cases) sink += c.run();  // warm-up: page cache, allocator
  for (int r = 0; r < repeats; ++r) {
    // Alternate the order so slow drift on a shared machine favours no case.
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Case& c = cases[r % 2 ? cases.size() - 1 - i : i];
      const auto start = Clock::now();
      const double cpu_start = cpu_now();
      sink += c.run();
      c.cpu.push_back(cpu_now() - cpu_start);
      c.wall.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  for (const Case& c : cases) {
    const double wall = median(c.wall), cpu = median(c.cpu);
    const double samples = static_cast<double>(c.data->samples);
    const double pixel_mb = samples * static_cast<double>(c.data->sample_pixels) / 1e6;
    std::cout << nlohmann::json{{"dataset", c.data->name},
                                {"case", c.name},
                                {"samples", c.data->samples},
                                {"shards", c.data->entries.size()},
                                {"world_size", c.world_size},
                                {"batch", batch},
                                {"file_MB", static_cast<double>(c.data->file_bytes) / 1e6},
                                {"pixel_MB", pixel_mb},
                                {"encrypted", c.data->manifest.encryption.has_value()},
                                {"repeats", repeats},
                                {"wall_s", wall},
                                {"cpu_s", cpu},
                                {"wall_all_s", c.wall},
                                {"samples_per_s", samples / wall},
                                {"pixel_MBps", pixel_mb / wall},
                                {"file_MBps", static_cast<double>(c.data->file_bytes) / 1e6 / wall},
                                {"sink", sink % 2}}
                     .dump()
              << std::endl;
  }
  return 0;
}

}  // namespace
}  // namespace galien

int main(int argc, char** argv) {
  CLI::App app{"Read throughput of one rank on image shards: plain, gzip, encrypted, raw read"};
  std::string key_file, ranks_dataset, only;
  int repeats = 7, batch = 32;
  std::vector<std::string> specs;
  app.add_option("--key", key_file, "the data controller's key (needed for encrypted shards)");
  app.add_option("--repeats", repeats, "timed repeats (median reported)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "samples per float batch buffer")->check(CLI::PositiveNumber);
  app.add_option("--ranks-dataset", ranks_dataset,
                 "NAME of the dataset also read by simulated ranks, whole shards vs ranges");
  app.add_option("--only", only, "run only the cases whose name contains this (for profiling)");
  app.add_option("datasets", specs, "NAME=SHARD_DIR (output of galien shard, image shards)")
      ->required();
  CLI11_PARSE(app, argc, argv);
  try {
    return galien::run(specs, key_file, repeats, batch, ranks_dataset, only);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_image_read: %s\n", e.what());
    return 1;
  }
}
