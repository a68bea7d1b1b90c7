// bench_image_read: how fast one rank reads image shards written by `galien shard` (plain,
// gzip-compressed chunks, AES-256-GCM encrypted), beside a raw read of the same files from the
// page cache (docs/BENCHMARKS.md, "Data path: image shards"; bench/read_torch.py is the h5py +
// DataLoader side, on the same files).
//
// For each NAME=DIR given, on the train split as a 1-rank job owns it (every shard), files
// already in the page cache (one untimed pass), each case timed --repeats times in alternating
// order:
//   raw      read() every shard file into memory, nothing else
//   open     what a rank does once per job: read each file once, verify it (SHA-256 against the
//            authenticated manifest, or the GCM tag while decrypting in place) and open the HDF5
//            image in memory (datasets/shard_store.h load_shard_image + ShardReader)
//   epoch    what it does every epoch: every sample's chunk read ([gunzip]) from the opened
//            images in a shuffled order, converted to float / 255 into [batch, C, H, W] buffers
//            (the image path of RankShards: load_shard_image, then ShardReader per sample)
//   epoch, table  the same, converting through a 256-entry table (b / 255.0f, bit-identical)
//            instead of a division per pixel: what the per-pixel division costs
//   epoch, direct  prototype, unfiltered shards only: every chunk's offset in the verified
//            file image found once (H5Dget_chunk_info_by_coord), then pixels converted straight
//            from there through the table: no HDF5 call per sample
//   open, direct   what the prototype's open costs (verify + find every chunk)
//   pass     open + epoch: one full read of the split, what h5py + DataLoader is compared with
// Prints one JSON object per case and directory: median wall and CPU seconds, samples/s,
// pixel MB/s (decoded uint8 bytes) and file MB/s (bytes on disk).
// Usage: bench_image_read [--key KEYFILE] [--repeats 7] [--batch 32] NAME=DIR ...
#include <CLI/CLI.hpp>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "datasets/encrypted_shard.h"
#include "datasets/manifest.h"
#include "datasets/shard_reader.h"
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
  std::vector<std::unique_ptr<ShardReader>> readers;  // the opened images (case "open")
  // Prototype ("epoch, direct"): the verified file images and, per sample, the byte offset of
  // its /image chunk in them; only for unfiltered (not gzip) chunks.
  std::vector<std::vector<std::uint8_t>> images;
  std::vector<std::vector<std::size_t>> chunk_at;
};

// Finds every sample's chunk in the in-memory file image once (H5Dget_chunk_info_by_coord,
// HDF5 >= 1.10.5), so an epoch can read pixels with no HDF5 call. False for gzip chunks.
bool index_chunks(Dataset& d, const DataKeys* keys) {
  d.images.clear();
  d.chunk_at.clear();
  for (const ShardEntry& e : d.entries) {
    d.images.push_back(load_shard_image(d.dir, e, d.manifest, keys));
    std::vector<std::uint8_t>& image = d.images.back();
    const unsigned flags = H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE;
    const hid_t file = H5LTopen_file_image(image.data(), image.size(), flags);
    const hid_t dataset = H5Dopen2(file, "/image", H5P_DEFAULT);
    const hid_t plist = H5Dget_create_plist(dataset);
    const bool unfiltered = H5Pget_nfilters(plist) == 0;
    std::vector<std::size_t> offsets;
    for (hsize_t i = 0; unfiltered && i < static_cast<hsize_t>(e.num_samples); ++i) {
      hsize_t coords[5] = {i, 0, 0, 0, 0}, size = 0;
      haddr_t address = 0;
      unsigned mask = 0;
      if (H5Dget_chunk_info_by_coord(dataset, coords, &mask, &address, &size) < 0 ||
          address + size > image.size())
        throw std::runtime_error(e.file + ": chunk " + std::to_string(i) + " not found");
      offsets.push_back(static_cast<std::size_t>(address));
    }
    H5Pclose(plist);
    H5Dclose(dataset);
    H5Fclose(file);
    if (!unfiltered) return false;
    d.chunk_at.push_back(std::move(offsets));
  }
  return true;
}

// As read_epoch with the table, but each sample's pixels are taken straight from its chunk's
// bytes in the file image: no HDF5 call per sample.
std::size_t read_epoch_direct(const Dataset& d, int batch, std::uint64_t seed) {
  static const std::vector<float> kScale = [] {
    std::vector<float> t(256);
    for (int b = 0; b < 256; ++b) t[static_cast<std::size_t>(b)] = static_cast<float>(b) / 255.0f;
    return t;
  }();
  std::vector<std::pair<int, std::int64_t>> order;
  for (std::size_t s = 0; s < d.chunk_at.size(); ++s)
    for (std::size_t i = 0; i < d.chunk_at[s].size(); ++i)
      order.emplace_back(static_cast<int>(s), static_cast<std::int64_t>(i));
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  const auto pixels = static_cast<std::size_t>(d.sample_pixels);
  std::vector<float> buffer(static_cast<std::size_t>(batch) * pixels);
  std::size_t sink = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const auto s = static_cast<std::size_t>(order[k].first);
    const std::uint8_t* raw =
        d.images[s].data() + d.chunk_at[s][static_cast<std::size_t>(order[k].second)];
    float* out = buffer.data() + (k % static_cast<std::size_t>(batch)) * pixels;
    for (std::size_t p = 0; p < pixels; ++p) out[p] = kScale[raw[p]];
    sink += out[0] > 0.5f;
  }
  return sink;
}

// Opens every shard as a rank does: verified (decrypted) image in memory, then ShardReader.
void open_all(Dataset& d, const DataKeys* keys) {
  d.readers.clear();
  for (const ShardEntry& e : d.entries) {
    d.readers.push_back(std::make_unique<ShardReader>(
        load_shard_image(d.dir, e, d.manifest, keys), d.dir + "/" + e.file));
    if (d.readers.back()->num_samples() != e.num_samples)
      throw std::runtime_error(e.file + ": sample count differs from the manifest");
  }
}

// Every sample once, shuffled across shards, into float batches scaled to [0, 1]. With `table`
// the bytes are converted through a 256-entry table of b / 255.0f (bit-identical results)
// instead of one scalar division per pixel, which GCC -O2 does not vectorise.
std::size_t read_epoch(const Dataset& d, int batch, std::uint64_t seed, bool table = false) {
  static const std::vector<float> kScale = [] {
    std::vector<float> t(256);
    for (int b = 0; b < 256; ++b) t[static_cast<std::size_t>(b)] = static_cast<float>(b) / 255.0f;
    return t;
  }();
  std::vector<std::pair<int, std::int64_t>> order;
  for (std::size_t s = 0; s < d.readers.size(); ++s)
    for (std::int64_t i = 0; i < d.readers[s]->num_samples(); ++i)
      order.emplace_back(static_cast<int>(s), i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  const auto pixels = static_cast<std::size_t>(d.sample_pixels);
  std::vector<float> buffer(static_cast<std::size_t>(batch) * pixels);
  std::vector<std::uint8_t> raw(pixels);  // uint8 shards (what bench/run_all.sh writes)
  std::size_t sink = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    // As RankShards::gather_images does: the stored bytes, then / 255 into the batch.
    float* out = buffer.data() + (k % static_cast<std::size_t>(batch)) * pixels;
    d.readers[static_cast<std::size_t>(order[k].first)]->read_image_raw(order[k].second,
                                                                        raw.data());
    if (table)
      for (std::size_t p = 0; p < pixels; ++p) out[p] = kScale[raw[p]];
    else
      for (std::size_t p = 0; p < pixels; ++p) out[p] = static_cast<float>(raw[p]) / 255.0f;
    sink += out[0] > 0.5f;
  }
  return sink;
}

struct Case {
  Dataset* data;
  std::string name;
  std::function<std::size_t()> run;
  std::vector<double> wall, cpu;
};

int run(const std::vector<std::string>& specs, const std::string& key_file, int repeats,
        int batch) {
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
    open_all(*d, key);
    d->sample_pixels = d->readers.front()->data().images.sample_pixels();
    if (d->readers.front()->data().images.dtype != PixelType::kUint8)
      throw std::runtime_error(d->dir + ": uint8 image shards only");
    datasets.push_back(std::move(d));
  }
  std::vector<Case> cases;
  std::uint64_t epoch = 0;
  for (auto& d : datasets) {
    Dataset* p = d.get();
    cases.push_back({p, "raw", [p] {
                       std::size_t n = 0;
                       for (const ShardEntry& e : p->entries)
                         n += read_shard_bytes(p->dir + "/" + e.file).size;
                       return n;
                     }, {}, {}});
    cases.push_back({p, "open", [p, key] {
                       open_all(*p, key);
                       return p->readers.size();
                     }, {}, {}});
    cases.push_back({p, "epoch", [p, batch, &epoch] { return read_epoch(*p, batch, ++epoch); },
                     {}, {}});
    cases.push_back({p, "epoch, table", [p, batch, &epoch] {
                       return read_epoch(*p, batch, ++epoch, true);
                     }, {}, {}});
    if (index_chunks(*p, key)) {
      // Prototype: checks that the direct read gives the very pixels ShardReader gives.
      std::vector<std::uint8_t> expected(static_cast<std::size_t>(p->sample_pixels));
      p->readers.back()->read_image_raw(p->readers.back()->num_samples() - 1, expected.data());
      const std::uint8_t* direct = p->images.back().data() + p->chunk_at.back().back();
      if (!std::equal(expected.begin(), expected.end(), direct))
        throw std::runtime_error(p->name + ": direct chunk read differs from ShardReader");
      cases.push_back({p, "epoch, direct", [p, batch, &epoch] {
                         return read_epoch_direct(*p, batch, ++epoch);
                       }, {}, {}});
      cases.push_back({p, "open, direct", [p, key] {
                         index_chunks(*p, key);
                         return p->images.size();
                       }, {}, {}});
    }
    cases.push_back({p, "pass", [p, key, batch, &epoch] {
                       open_all(*p, key);
                       return read_epoch(*p, batch, ++epoch);
                     }, {}, {}});
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
  std::string key_file;
  int repeats = 7, batch = 32;
  std::vector<std::string> specs;
  app.add_option("--key", key_file, "the data controller's key (needed for encrypted shards)");
  app.add_option("--repeats", repeats, "timed repeats (median reported)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "samples per float batch buffer")->check(CLI::PositiveNumber);
  app.add_option("datasets", specs, "NAME=SHARD_DIR (output of galien shard, image shards)")
      ->required();
  CLI11_PARSE(app, argc, argv);
  try {
    return galien::run(specs, key_file, repeats, batch);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_image_read: %s\n", e.what());
    return 1;
  }
}
