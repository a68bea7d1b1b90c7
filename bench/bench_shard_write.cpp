// bench_shard_write: how fast `galien shard` turns inputs into shards (docs/BENCHMARKS.md,
// "Ingest (sharding) throughput"), beside a raw HDF5 write of the same numbers.
//
// Generates, under --dir (replaced on each run):
//   tabular  a CSV of --rows rows (two per patient) x --features float columns + id + label
//   png      --png-images 8-bit gray PNGs of --png-size^2 pixels (a smooth body + noise, so they
//            compress like radiographs rather than like noise or like flat fields) + labels table
//   nifti    --nifti-volumes int16 .nii.gz volumes of --nifti-size^3 voxels (CT-like HU: air,
//            soft tissue, bone, noise), stored LAS (sform), so every one is flipped to RAS
// and times, each --repeats times in alternating order after one untimed pass:
//   raw HDF5          the same float matrix / the same uint8 pixels written with one H5Dwrite
//                     into one contiguous dataset of one file: the floor of any HDF5 writer
//   read only         tabular: read + parse the CSV; images: read and decode every source file
//                     (no shard): where the pipeline's time goes
//   galien, plain     run_shard on the config: the whole `galien shard` (CSV -> policy ->
//                     encode -> pseudonymise -> split -> standardise -> shards, or images ->
//                     pseudonymise -> split -> read/reorient/window/convert -> per-sample chunks),
//                     manifest, privacy report, audit log entry
//   galien, encrypted the same with privacy.encrypt: AES-256-GCM containers
// Prints medians (wall and CPU) as a Markdown table, and all of it as JSON with --json FILE.
// Usage: bench_shard_write [--repeats 5] [--rows 50000] [--features 32] [--png-images 300]
//        [--png-size 256] [--nifti-volumes 12] [--nifti-size 128] [--dir DIR] [--json FILE]
#include <CLI/CLI.hpp>
#include <hdf5.h>
#include <png.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config/config.h"
#include "core/fs.h"
#include "datasets/csv.h"
#include "datasets/imaging/nifti.h"
#include "datasets/imaging/png.h"
#include "datasets/shard_pipeline.h"
#include "privacy/key_file.h"

namespace galien {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

struct Options {
  int repeats = 5;
  std::int64_t rows = 50000;
  std::int64_t features = 32;
  int png_images = 300;
  int png_size = 256;
  int nifti_volumes = 12;
  int nifti_size = 128;
  std::string dir = "bench-shard-write";
  std::string json;
};

// ---------------------------------------------------------------- inputs

struct Table {
  std::string csv;
  std::vector<float> matrix;  // rows x features, the values the CSV holds
};

Table write_table(const Options& o, const std::string& path) {
  std::mt19937 rng(7);
  std::normal_distribution<float> value(0.0f, 1.0f);
  Table t;
  std::string text = "patient_id,label";
  for (std::int64_t f = 0; f < o.features; ++f) text += ",f" + std::to_string(f);
  text += '\n';
  char cell[32];
  for (std::int64_t r = 0; r < o.rows; ++r) {
    text += "P" + std::to_string(1000000 + r / 2) + "," + std::to_string(r / 2 % 3 == 0);
    for (std::int64_t f = 0; f < o.features; ++f) {
      float v = std::round(value(rng) * 1e5f) / 1e5f;  // 5 decimals, like lab values
      std::snprintf(cell, sizeof cell, ",%.5f", static_cast<double>(v));
      text += cell;
      t.matrix.push_back(v);
    }
    text += '\n';
  }
  write_file_atomic(path, text);
  t.csv = path;
  return t;
}

// A radiograph-like 8-bit image: smooth body (two Gaussian blobs over a gradient) plus noise.
std::vector<std::uint8_t> png_pixels(int size, int index, std::mt19937& rng) {
  std::normal_distribution<float> noise(0.0f, 6.0f);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(size) * size);
  const float cx = size * (0.4f + 0.02f * (index % 5)), cy = size * 0.5f, r = size * 0.3f;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      float dx = (x - cx) / r, dy = (y - cy) / r;
      float body = 150.0f * std::exp(-(dx * dx + dy * dy)) +
                   60.0f * std::exp(-((dx - 1.2f) * (dx - 1.2f) + dy * dy) * 4.0f);
      float v = 20.0f + 40.0f * static_cast<float>(y) / size + body + noise(rng);
      pixels[static_cast<std::size_t>(y) * size + x] =
          static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));
    }
  }
  return pixels;
}

void write_png_file(const std::string& path, const std::vector<std::uint8_t>& pixels, int size) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(size);
  image.height = static_cast<png_uint_32>(size);
  image.format = PNG_FORMAT_GRAY;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr)) {
    throw std::runtime_error("cannot write " + path + ": " + image.message);
  }
}

// Every PNG with its pixels (for the raw write) and the labels table.
std::vector<std::uint8_t> write_pngs(const Options& o, const std::string& dir) {
  make_directories(dir);
  std::mt19937 rng(11);
  const char* findings[] = {"No Finding", "Effusion", "Atelectasis|Effusion", "Cardiomegaly"};
  std::string table = "Image Index,Finding Labels,Patient ID\n";
  std::vector<std::uint8_t> all;
  for (int i = 0; i < o.png_images; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%08d_%03d.png", 10000 + i / 3, i % 3);
    std::vector<std::uint8_t> pixels = png_pixels(o.png_size, i, rng);
    write_png_file(dir + "/" + name, pixels, o.png_size);
    all.insert(all.end(), pixels.begin(), pixels.end());
    table += std::string(name) + "," + findings[i % 4] + "," + std::to_string(10000 + i / 3) +
             "\n";
  }
  write_file_atomic(dir + "/Data_Entry.csv", table);
  return all;
}

template <class T>
void put(std::string& header, std::size_t offset, T value) {
  std::memcpy(header.data() + offset, &value, sizeof value);
}

// A CT-like volume: air (-1000), an ellipsoid of soft tissue (40 HU) holding a bone-like core
// (700 HU), Gaussian noise (sd 20 HU); stored LAS (x runs to the left): dcm2niix's usual choice.
std::vector<std::int16_t> nifti_voxels(int n, int index, std::mt19937& rng) {
  std::normal_distribution<float> noise(0.0f, 20.0f);
  std::vector<std::int16_t> v(static_cast<std::size_t>(n) * n * n);
  std::size_t k = 0;
  const float c = (n - 1) / 2.0f, shift = 0.02f * (index % 4);
  for (int z = 0; z < n; ++z) {
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x, ++k) {
        float dx = (x - c) / (0.45f * n) - shift, dy = (y - c) / (0.35f * n),
              dz = (z - c) / (0.48f * n);
        float r2 = dx * dx + dy * dy + dz * dz;
        float hu = r2 < 0.04f ? 700.0f : r2 < 1.0f ? 40.0f : -1000.0f;
        v[k] = static_cast<std::int16_t>(hu + noise(rng));
      }
    }
  }
  return v;
}

void write_nifti_gz(const std::string& path, const std::vector<std::int16_t>& voxels, int n) {
  std::string header(352, '\0');  // 348-byte header + 4-byte extension flag (none)
  put<std::int32_t>(header, 0, 348);
  const std::int16_t dim[8] = {3, static_cast<std::int16_t>(n), static_cast<std::int16_t>(n),
                               static_cast<std::int16_t>(n), 1, 1, 1, 1};
  for (int i = 0; i < 8; ++i) put<std::int16_t>(header, 40 + 2 * i, dim[i]);
  put<std::int16_t>(header, 70, 4);   // datatype: int16
  put<std::int16_t>(header, 72, 16);  // bitpix
  const float pixdim[8] = {1, 1, 1, 1, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) put<float>(header, 76 + 4 * i, pixdim[i]);
  put<float>(header, 108, 352.0f);  // vox_offset
  put<float>(header, 112, 1.0f);    // scl_slope
  put<std::int16_t>(header, 254, 1);  // sform_code: scanner
  const float srow[3][4] = {{-1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};  // LAS
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) put<float>(header, 280 + 16 * r + 4 * c, srow[r][c]);
  }
  std::memcpy(header.data() + 344, "n+1", 4);
  gzFile out = gzopen(path.c_str(), "wb6");
  if (out == nullptr) throw std::runtime_error("cannot write " + path);
  gzwrite(out, header.data(), static_cast<unsigned>(header.size()));
  gzwrite(out, voxels.data(), static_cast<unsigned>(voxels.size() * sizeof(std::int16_t)));
  gzclose(out);
}

// The volumes' files (MSD layout, imagesTr/) and the uint8 pixels the pipeline stores.
std::size_t write_niftis(const Options& o, const std::string& dir) {
  make_directories(dir + "/imagesTr");
  std::mt19937 rng(13);
  for (int i = 0; i < o.nifti_volumes; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/imagesTr/case_%03d.nii.gz", i);
    write_nifti_gz(dir + name, nifti_voxels(o.nifti_size, i, rng), o.nifti_size);
  }
  return static_cast<std::size_t>(o.nifti_volumes) * o.nifti_size * o.nifti_size * o.nifti_size;
}

// ---------------------------------------------------------------- what is timed

// One contiguous dataset [n, rest...] of `type` written with one H5Dwrite, file closed.
void raw_hdf5_write(const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
                    const void* data) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dataset = H5Dcreate2(file, "/data", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t status = H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dataset);
  H5Sclose(space);
  H5Fclose(file);
  if (file < 0 || status < 0) throw std::runtime_error("raw HDF5 write failed: " + path);
}

std::uintmax_t bytes_under(const std::string& dir) {
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (name.find(".h5") != std::string::npos)) {
      total += entry.file_size();
    }
  }
  return total;
}

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Case {
  std::string workload;  // tabular, png, nifti
  std::string path;      // raw HDF5, read only, galien plain, galien encrypted
  std::int64_t items;    // rows or images
  std::function<void()> run;
  std::string output_dir;  // shards written here (bytes reported), "" = none
  std::vector<double> wall, cpu;
  std::uintmax_t bytes = 0;
};

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

Config shard_config(const std::string& key, const std::string& out, bool encrypt) {
  Config config;
  config.data.shard_dir = out;
  config.privacy.key_file = key;
  config.privacy.encrypt = encrypt;
  config.sha256 = std::string(64, 'b');
  return config;
}

int run(const Options& o) {
  fs::remove_all(o.dir);
  make_directories(o.dir);
  const std::string key = o.dir + "/key.bin";
  generate_key_file(key);
  // run_shard logs every step; the benchmark prints only its table.
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>()));

  std::printf("generating inputs under %s ...\n", o.dir.c_str());
  const Table table = write_table(o, o.dir + "/table.csv");
  const std::vector<std::uint8_t> png_pixels_all = write_pngs(o, o.dir + "/png");
  const std::size_t nifti_pixels = write_niftis(o, o.dir + "/nifti");
  const std::vector<std::uint8_t> nifti_bytes(nifti_pixels, 100);  // what the shards hold

  std::vector<Case> cases;
  auto tabular = [&](bool encrypt) {
    Config c = shard_config(key, o.dir + (encrypt ? "/out/tabular-enc" : "/out/tabular"), encrypt);
    c.data.csv = table.csv;
    c.data.patient_id_column = "patient_id";
    c.data.label_column = "label";
    c.data.numeric = {"*"};
    c.data.shards = 4;
    return c;
  };
  auto png = [&](bool encrypt) {
    Config c = shard_config(key, o.dir + (encrypt ? "/out/png-enc" : "/out/png"), encrypt);
    c.data.image_format = "png";
    c.data.image_path = o.dir + "/png";
    c.data.image_labels_csv = o.dir + "/png/Data_Entry.csv";
    c.data.image_channels = 1;
    c.data.shards = 2;
    return c;
  };
  auto nifti = [&](bool encrypt) {
    Config c = shard_config(key, o.dir + (encrypt ? "/out/nifti-enc" : "/out/nifti"), encrypt);
    c.data.image_format = "nifti";
    c.data.image_path = o.dir + "/nifti";
    c.data.image_intensity = "window";  // CT soft-tissue window to uint8
    c.data.shards = 2;
    c.data.val_fraction = 0.25;  // >= 2 volumes per split, one per shard
    c.data.test_fraction = 0.25;
    return c;
  };
  std::vector<std::string> png_files, nifti_files;
  for (const auto& e : fs::directory_iterator(o.dir + "/png")) {
    if (e.path().extension() == ".png") png_files.push_back(e.path().string());
  }
  for (const auto& e : fs::directory_iterator(o.dir + "/nifti/imagesTr")) {
    nifti_files.push_back(e.path().string());
  }
  const auto n = static_cast<hsize_t>(o.nifti_size);
  std::size_t sink = 0;
  const std::int64_t rows = o.rows, pngs = o.png_images, vols = o.nifti_volumes;
  cases.push_back({"tabular", "raw HDF5 write", rows, [&] {
                     const hsize_t rows_ = static_cast<hsize_t>(o.rows);
                     const hsize_t columns = static_cast<hsize_t>(o.features);
                     raw_hdf5_write(o.dir + "/out/raw-table.h5", H5T_NATIVE_FLOAT,
                                    {rows_, columns}, table.matrix.data());
                   }, ""});
  cases.push_back({"tabular", "read + parse CSV only", rows,
                   [&] { sink += read_csv(table.csv).rows.size(); }, ""});
  for (bool encrypt : {false, true}) {
    Config c = tabular(encrypt);
    cases.push_back({"tabular", encrypt ? "galien shard, encrypted" : "galien shard, plain", rows,
                     [c] { run_shard(c, true); }, c.data.shard_dir});
  }
  cases.push_back({"png", "raw HDF5 write", pngs, [&] {
                     raw_hdf5_write(o.dir + "/out/raw-png.h5", H5T_NATIVE_UINT8,
                                    {static_cast<hsize_t>(o.png_images), 1,
                                     static_cast<hsize_t>(o.png_size),
                                     static_cast<hsize_t>(o.png_size)},
                                    png_pixels_all.data());
                   }, ""});
  cases.push_back({"png", "decode PNGs only", pngs, [&] {
                     for (const std::string& f : png_files) sink += read_png(f, 1).voxels.size();
                   }, ""});
  for (bool encrypt : {false, true}) {
    Config c = png(encrypt);
    cases.push_back({"png", encrypt ? "galien shard, encrypted" : "galien shard, plain", pngs,
                     [c] { run_shard(c, true); }, c.data.shard_dir});
  }
  cases.push_back({"nifti", "raw HDF5 write", vols, [&] {
                     raw_hdf5_write(o.dir + "/out/raw-nifti.h5", H5T_NATIVE_UINT8,
                                    {static_cast<hsize_t>(o.nifti_volumes), 1, n, n, n},
                                    nifti_bytes.data());
                   }, ""});
  cases.push_back({"nifti", "read NIfTIs only (gunzip, decode, reorient)", vols, [&] {
                     for (const std::string& f : nifti_files) sink += read_nifti(f).voxels.size();
                   }, ""});
  for (bool encrypt : {false, true}) {
    Config c = nifti(encrypt);
    cases.push_back({"nifti", encrypt ? "galien shard, encrypted" : "galien shard, plain", vols,
                     [c] { run_shard(c, true); }, c.data.shard_dir});
  }
  make_directories(o.dir + "/out");

  const std::string load_before = load_average();
  std::printf("warm-up pass ...\n");
  for (Case& c : cases) c.run();  // inputs into the page cache, output directories created
  for (int r = 0; r < o.repeats; ++r) {
    std::printf("repeat %d/%d ...\n", r + 1, o.repeats);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Case& c = cases[r % 2 ? cases.size() - 1 - i : i];  // alternate: drift favours no case
      auto start = Clock::now();
      double cpu_start = cpu_now();
      c.run();
      c.cpu.push_back(cpu_now() - cpu_start);
      c.wall.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
  }
  const std::string load_after = load_average();
  // What one durable small file costs here: `galien shard` writes manifest.json, its HMAC, the
  // privacy reports and an audit entry this way (and every encrypted shard), plain shards not.
  std::vector<double> fsync_wall;
  for (int r = 0; r < 2 * o.repeats + 1; ++r) {
    auto start = Clock::now();
    write_file_atomic(o.dir + "/out/probe.json", std::string(1024, 'x'));
    fsync_wall.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  for (Case& c : cases) {
    if (!c.output_dir.empty()) c.bytes = bytes_under(c.output_dir);
  }

  utsname host{};
  uname(&host);
  Json json = {{"benchmark", "bench_shard_write"},
               {"machine", {{"cpu", cpu_model()},
                            {"hardware_threads", std::thread::hardware_concurrency()},
                            {"kernel", std::string(host.sysname) + " " + host.release},
                            {"load_average_before", load_before},
                            {"load_average_after", load_after}}},
               {"options", {{"repeats", o.repeats}, {"rows", o.rows}, {"features", o.features},
                            {"png_images", o.png_images}, {"png_size", o.png_size},
                            {"nifti_volumes", o.nifti_volumes}, {"nifti_size", o.nifti_size}}},
               {"durable_1kb_file_write_ms_median", median(fsync_wall) * 1e3},
               {"cases", Json::array()}};
  std::printf("\n%s; %u hardware threads; load average %s before, %s after\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), load_before.c_str(), load_after.c_str());
  std::printf("tabular: %lld rows x %lld float features (%lld patients), 4 shards per split; "
              "png: %d gray %dx%d images, 2 shards; nifti: %d int16 %d^3 volumes (.nii.gz, LAS),"
              " windowed to uint8, 2 shards; median of %d repeats (sink %zu)\n\n",
              static_cast<long long>(o.rows), static_cast<long long>(o.features),
              static_cast<long long>((o.rows + 1) / 2), o.png_images, o.png_size, o.png_size,
              o.nifti_volumes, o.nifti_size, o.repeats, sink % 10);
  std::printf("one durable 1 KB file (write_file_atomic: write, fsync, rename, directory "
              "fsync): median %.1f ms wall\n\n", median(fsync_wall) * 1e3);
  std::printf("| input | path | wall ms | CPU ms | items/s (wall) | items/s (CPU) | wall vs raw "
              "HDF5 write | shard MB |\n|---|---|---|---|---|---|---|---|\n");
  double raw_wall = 0;
  for (const Case& c : cases) {
    const double wall = median(c.wall), cpu = median(c.cpu);
    if (c.path == "raw HDF5 write") raw_wall = wall;
    const char* unit = c.workload == "tabular" ? "rows" : "images";
    char megabytes[32] = "";
    if (c.bytes) std::snprintf(megabytes, sizeof megabytes, "%.1f", c.bytes / 1e6);
    std::printf("| %s | %s | %.1f | %.1f | %.4g %s/s | %.4g %s/s | %.2f | %s |\n",
                c.workload.c_str(), c.path.c_str(), wall * 1e3, cpu * 1e3, c.items / wall, unit,
                c.items / cpu, unit, wall / raw_wall, megabytes);
    json["cases"].push_back({{"input", c.workload}, {"path", c.path}, {"items", c.items},
                             {"item", unit}, {"wall_s_median", wall}, {"cpu_s_median", cpu},
                             {"items_per_s_wall", c.items / wall},
                             {"items_per_s_cpu", c.items / cpu},
                             {"wall_vs_raw_hdf5", wall / raw_wall}, {"shard_bytes", c.bytes},
                             {"wall_s", c.wall}, {"cpu_s", c.cpu}});
  }
  if (!o.json.empty()) {
    write_file_atomic(o.json, json.dump(2) + "\n");
    std::printf("\nwrote %s\n", o.json.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace galien

int main(int argc, char** argv) {
  galien::Options o;
  CLI::App app{"Sharding throughput of galien shard (tables, PNG, NIfTI) vs a raw HDF5 write"};
  app.add_option("--repeats", o.repeats, "timed repeats (median reported)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rows", o.rows, "rows of the generated table")->check(CLI::Range(20, 1 << 26));
  app.add_option("--features", o.features, "float features per row")->check(CLI::PositiveNumber);
  app.add_option("--png-images", o.png_images, "generated PNG images")
      ->check(CLI::Range(20, 1 << 20));
  app.add_option("--png-size", o.png_size, "PNG width = height")->check(CLI::Range(8, 4096));
  app.add_option("--nifti-volumes", o.nifti_volumes, "generated NIfTI volumes")
      ->check(CLI::Range(8, 1 << 16));
  app.add_option("--nifti-size", o.nifti_size, "NIfTI volume side")->check(CLI::Range(8, 512));
  app.add_option("--dir", o.dir, "scratch directory for inputs and shards (replaced)");
  app.add_option("--json", o.json, "also write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  try {
    return galien::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_shard_write: %s\n", e.what());
    return 1;
  }
}
