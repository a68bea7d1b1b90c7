// bench_shard_read: how fast one rank reads its shards, plain vs AES-256-GCM encrypted, beside
// a raw read of the same files from the page cache (docs/BENCHMARKS.md, "Data path").
//
// Writes two shard directories of the same synthetic data (N samples x F float32 features,
// S shards; by default 100k x 64 in 8 shards), then times, for each repeat and in alternating
// order, what a rank of a 1-rank job does with every shard of the split, files already in the
// page cache:
//   raw read            read the bytes of every shard file into memory, nothing else
//   plain, no verify    read + parse the HDF5 image (no checksum: the floor of the plain path)
//   plain (RankShards)  read + SHA-256 against the authenticated manifest + parse
//   encrypted (RankShards)  read + AES-256-GCM authenticate/decrypt + parse
// and prints medians as a Markdown table. Usage: bench_shard_read [--samples N] [--features F]
// [--shards S] [--repeats R] [--dir DIR]
//
// With --images: what one rank's image reader delivers, for uint8 image shards of --image-sizes
// (default 28x28 and 64x64, one channel, --image-samples each in --shards shards, uncompressed
// chunks as `galien shard` writes by default), plain and encrypted:
//   open        once per job: every shard read, verified (SHA-256 against the authenticated
//               manifest, or AES-256-GCM while decrypting) and opened in memory
//               (load_shard_image + ShardReader)
//   read_image  every epoch: ShardReader::read_image of every sample, in a shuffled order, into
//               a float buffer (what a training step consumes), from the opened readers
// Usage: bench_shard_read --images [--image-samples N] [--image-sizes 28,64] [--shards S]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <utility>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/fs.h"
#include "core/hash.h"
#include "datasets/encrypted_shard.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/shard_reader.h"
#include "datasets/shard_store.h"
#include "privacy/data_keys.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::int64_t samples = 100000;
  std::int64_t features = 64;
  int shards = 8;
  int repeats = 7;
  std::string dir = "bench-shard-read";
  bool images = false;
  std::int64_t image_samples = 20000;
  std::vector<int> image_sizes{28, 64};
};

ShardData synthetic_shard(const Options& o, int index, std::mt19937& rng) {
  ShardData shard;
  shard.split = "train";
  shard.shard_index = index;
  shard.num_shards = o.shards;
  shard.num_features = o.features;
  std::normal_distribution<float> value;
  for (std::int64_t i = index; i < o.samples; i += o.shards) {
    shard.pseudonyms.push_back(sha256_hex(std::string_view("sample " + std::to_string(i))));
    shard.labels.push_back(i % 2);
    for (std::int64_t f = 0; f < o.features; ++f) shard.features.push_back(value(rng));
  }
  return shard;
}

// The same shards written plain into dir/plain and encrypted into dir/encrypted.
Manifest write_dataset(const Options& o, const std::string& dir, bool encrypt,
                       const DataKeys& keys) {
  fs::remove_all(dir);
  make_directories(dir);
  Manifest manifest;
  manifest.key_id = keys.key_id();
  manifest.classes = {"0", "1"};
  for (std::int64_t f = 0; f < o.features; ++f) {
    manifest.features.push_back({"f" + std::to_string(f), "numeric", "f" + std::to_string(f)});
  }
  if (encrypt) manifest.encryption = new_encryption_info();
  std::mt19937 rng(42);  // same seed: the same data in both directories
  SplitInfo& split = manifest.splits["train"];
  split.class_counts = {0, 0};
  for (int s = 0; s < o.shards; ++s) {
    ShardData shard = synthetic_shard(o, s, rng);
    char name[32];
    std::snprintf(name, sizeof name, "train-%05d.h5", s);
    split.shards.push_back(store_shard(dir, shard_file_name(name, manifest), shard, manifest,
                                       &keys));
    split.num_samples += shard.num_samples();
  }
  split.num_patients = split.num_samples;
  save_manifest(dir, manifest, keys);
  return load_manifest(dir, &keys);
}

std::uintmax_t bytes_on_disk(const std::string& dir, const Manifest& manifest) {
  std::uintmax_t total = 0;
  for (const ShardEntry& e : manifest.splits.at("train").shards) {
    total += fs::file_size(fs::path(dir) / e.file);
  }
  return total;
}

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Wall and CPU seconds (user + system, so the kernel's page-cache copy counts). On a shared,
// busy machine the wall time includes waiting for a core; the CPU time is the work itself.
std::pair<double, double> seconds(const std::function<void()>& f) {
  auto start = Clock::now();
  double cpu_start = cpu_now();
  f();
  return {std::chrono::duration<double>(Clock::now() - start).count(), cpu_now() - cpu_start};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Case {
  std::string name;
  std::uintmax_t bytes;  // what MB/s is counted over: the files on disk
  std::function<void()> run;
  std::vector<double> wall, cpu;
};

int run(const Options& o) {
  SecretKey controller;
  Bytes random = random_bytes(32);
  std::copy(random.begin(), random.end(), controller.bytes.begin());
  const DataKeys keys(controller);
  const std::string plain_dir = o.dir + "/plain", encrypted_dir = o.dir + "/encrypted";
  const Manifest plain = write_dataset(o, plain_dir, false, keys);
  const Manifest encrypted = write_dataset(o, encrypted_dir, true, keys);
  const auto& entries = plain.splits.at("train").shards;
  const std::uintmax_t plain_bytes = bytes_on_disk(plain_dir, plain);
  const std::uintmax_t encrypted_bytes = bytes_on_disk(encrypted_dir, encrypted);

  std::size_t sink = 0;  // keeps the reads observable
  std::vector<Case> cases = {
      {"raw read (page cache)", plain_bytes,
       [&] {
         for (const ShardEntry& e : entries) {
           sink += read_shard_bytes(plain_dir + "/" + e.file).size;
         }
       }, {}},
      {"plain, no verification", plain_bytes,
       [&] {
         for (const ShardEntry& e : entries) {
           FileBytes file = read_shard_bytes(plain_dir + "/" + e.file);
           sink += read_shard_image(file.data.get(), file.size, e.file).features.size();
         }
       }, {}},
      {"plain, SHA-256 verified (RankShards)", plain_bytes,
       [&] { sink += RankShards(plain_dir, plain, "train", 1, 0, &keys).num_owned_samples(); },
       {}},
      {"encrypted, GCM verified (RankShards)", encrypted_bytes,
       [&] {
         sink += RankShards(encrypted_dir, encrypted, "train", 1, 0, &keys).num_owned_samples();
       }, {}},
  };
  for (Case& c : cases) c.run();  // warm-up: files into the page cache, allocator warmed
  for (int r = 0; r < o.repeats; ++r) {
    // Alternate the order so slow drift on a shared machine does not favour one case.
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Case& c = cases[r % 2 ? cases.size() - 1 - i : i];
      auto [wall, cpu] = seconds(c.run);
      c.wall.push_back(wall);
      c.cpu.push_back(cpu);
    }
  }
  const double samples = static_cast<double>(plain.splits.at("train").num_samples);
  const double reference_wall = median(cases[2].wall), reference_cpu = median(cases[2].cpu);
  std::printf("%lld samples x %lld float32 features in %d shards; %.1f MB plain, %.1f MB "
              "encrypted on disk; median of %d repeats (sink %zu)\n\n",
              static_cast<long long>(o.samples), static_cast<long long>(o.features), o.shards,
              plain_bytes / 1e6, encrypted_bytes / 1e6, o.repeats, sink % 10);
  std::printf("| path | wall ms | CPU ms | samples/s (CPU) | MB/s (CPU) | CPU time vs plain "
              "verified | wall time vs plain verified |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    double wall = median(c.wall), cpu = median(c.cpu);
    std::printf("| %s | %.1f | %.1f | %.3g | %.0f | %.2f | %.2f |\n", c.name.c_str(), wall * 1e3,
                cpu * 1e3, samples / cpu, c.bytes / 1e6 / cpu, cpu / reference_cpu,
                wall / reference_wall);
  }
  return 0;
}

// ---------------------------------------------------------------- image shards (--images)

// Sample i of a size x size uint8 image: pseudo-random bytes (uncompressed chunks, so the
// content does not change the cost).
ShardData synthetic_image_shard(const Options& o, int size, int index) {
  ShardData shard;
  shard.split = "train";
  shard.shard_index = index;
  shard.num_shards = o.shards;
  for (std::int64_t i = index; i < o.image_samples; i += o.shards) {
    shard.pseudonyms.push_back(sha256_hex(std::string_view("image " + std::to_string(i))));
    shard.labels.push_back(i % 10);
  }
  shard.images.shape = {1, size, size};
  shard.images.dtype = PixelType::kUint8;
  shard.images.fill = [size, index](std::int64_t i, void* pixels, std::uint8_t*) {
    std::uint32_t state = static_cast<std::uint32_t>(i * 2654435761u + index);
    auto* out = static_cast<std::uint8_t*>(pixels);
    for (int p = 0; p < size * size; ++p) {
      state = state * 1664525u + 1013904223u;
      out[p] = static_cast<std::uint8_t>(state >> 24);
    }
    return std::string();
  };
  return shard;
}

Manifest write_image_dataset(const Options& o, int size, const std::string& dir, bool encrypt,
                             const DataKeys& keys) {
  fs::remove_all(dir);
  make_directories(dir);
  Manifest manifest;
  manifest.format_version_minor = 2;
  manifest.key_id = keys.key_id();
  manifest.classes = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  if (encrypt) manifest.encryption = new_encryption_info();
  SplitInfo& split = manifest.splits["train"];
  for (int s = 0; s < o.shards; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "train-%05d.h5", s);
    split.shards.push_back(store_shard(dir, shard_file_name(name, manifest),
                                       synthetic_image_shard(o, size, s), manifest, &keys));
    split.num_samples += split.shards.back().num_samples;
  }
  split.num_patients = split.num_samples;
  save_manifest(dir, manifest, keys);
  return load_manifest(dir, &keys);
}

// What a rank holds after opening its shards: one reader per shard, over the verified image.
std::vector<ShardReader> open_readers(const std::string& dir, const Manifest& manifest,
                                      const DataKeys& keys) {
  std::vector<ShardReader> readers;
  for (const ShardEntry& e : manifest.splits.at("train").shards) {
    readers.emplace_back(load_shard_image(dir, e, manifest, &keys), dir + "/" + e.file);
  }
  return readers;
}

int run_images(const Options& o) {
  SecretKey controller;
  Bytes random = random_bytes(32);
  std::copy(random.begin(), random.end(), controller.bytes.begin());
  const DataKeys keys(controller);
  std::printf("%lld uint8 images per size in %d shards, uncompressed per-sample chunks; median "
              "of %d repeats\n\n",
              static_cast<long long>(o.image_samples), o.shards, o.repeats);
  std::printf("| image | storage | MB on disk | open: wall ms | open: CPU ms | read_image: "
              "wall ms | read_image: CPU ms | read_image samples/s (wall) | read_image "
              "samples/s (CPU) | open + one pass samples/s (CPU) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (int size : o.image_sizes) {
    for (bool encrypt : {false, true}) {
      const std::string dir = o.dir + "/images-" + std::to_string(size) +
                              (encrypt ? "-encrypted" : "-plain");
      const Manifest manifest = write_image_dataset(o, size, dir, encrypt, keys);
      const std::uintmax_t bytes = bytes_on_disk(dir, manifest);
      // Every sample once per epoch, in a shuffled order, as an epoch plan visits them.
      std::vector<std::pair<std::size_t, std::int64_t>> order;
      const auto& entries = manifest.splits.at("train").shards;
      for (std::size_t s = 0; s < entries.size(); ++s) {
        for (std::int64_t i = 0; i < entries[s].num_samples; ++i) order.emplace_back(s, i);
      }
      std::mt19937 rng(3);
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<float> buffer(static_cast<std::size_t>(size) * size);
      double sink = 0;
      std::vector<double> open_wall, open_cpu, read_wall, read_cpu;
      for (int r = 0; r <= o.repeats; ++r) {  // r = 0: untimed warm-up
        std::vector<ShardReader> readers;
        auto [ow, oc] = seconds([&] { readers = open_readers(dir, manifest, keys); });
        auto [rw, rc] = seconds([&] {
          for (const auto& [s, i] : order) {
            readers[s].read_image(i, buffer.data());
            sink += buffer[static_cast<std::size_t>(i) % buffer.size()];
          }
        });
        if (r == 0) continue;
        open_wall.push_back(ow), open_cpu.push_back(oc);
        read_wall.push_back(rw), read_cpu.push_back(rc);
      }
      const double n = static_cast<double>(order.size());
      const double ow = median(open_wall), oc = median(open_cpu), rw = median(read_wall),
                   rc = median(read_cpu);
      std::printf("| %dx%d uint8 | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f |\n",
                  size, size, encrypt ? "encrypted (GCM)" : "plain (SHA-256)", bytes / 1e6,
                  ow * 1e3, oc * 1e3, rw * 1e3, rc * 1e3, n / rw, n / rc, n / (oc + rc));
      std::fflush(stdout);
      if (sink < 0) std::printf("(sink)\n");
    }
  }
  return 0;
}

}  // namespace
}  // namespace galien

int main(int argc, char** argv) {
  galien::Options o;
  CLI::App app{"Read throughput of one rank: plain vs encrypted shards vs raw page-cache read"};
  app.add_option("--samples", o.samples, "samples in the split")->check(CLI::PositiveNumber);
  app.add_option("--features", o.features, "float32 features per sample")
      ->check(CLI::PositiveNumber);
  app.add_option("--shards", o.shards, "shards in the split")->check(CLI::PositiveNumber);
  app.add_option("--repeats", o.repeats, "timed repeats (median reported)")
      ->check(CLI::PositiveNumber);
  app.add_option("--dir", o.dir, "scratch directory for the two datasets (replaced)");
  app.add_flag("--images", o.images,
               "image shards instead: per-sample ShardReader::read_image, plain and encrypted");
  app.add_option("--image-samples", o.image_samples, "images per size (--images)")
      ->check(CLI::PositiveNumber);
  app.add_option("--image-sizes", o.image_sizes, "image side lengths (--images)")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  CLI11_PARSE(app, argc, argv);
  try {
    return o.images ? galien::run_images(o) : galien::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_shard_read: %s\n", e.what());
    return 1;
  }
}
