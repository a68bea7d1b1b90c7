#include "datasets/rank_shards.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "datasets/pixel_convert.h"
#include "datasets/shard_store.h"

namespace galien {
namespace {

// HDF5 is one library with global state: unless it was built thread-safe, two threads must never
// be inside it at once. Every HDF5 call RankShards makes after construction of its readers goes
// through this lock, whichever RankShards (train, val, test) makes it.
std::mutex& hdf5_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::int64_t product(const std::vector<std::int64_t>& dims, std::size_t from) {
  std::int64_t n = 1;
  for (std::size_t i = from; i < dims.size(); ++i) n *= dims[i];
  return n;
}

}  // namespace

RankShards::RankShards(const std::string& shard_dir, const Manifest& manifest,
                       const std::string& split, int world_size, int rank)
    : RankShards(shard_dir, manifest, split, world_size, rank, nullptr) {}

RankShards::RankShards(const std::string& shard_dir, const Manifest& manifest,
                       const std::string& split, int world_size, int rank, const DataKeys* keys,
                       ShardReadPath read_path)
    : shard_dir_(shard_dir), num_features_(manifest.num_features()) {
  // A key with an unauthenticated manifest would verify shards against unverified checksums.
  GALIEN_CHECK(keys == nullptr || manifest.authenticated,
               "RankShards got a key but a manifest not loaded by load_manifest(dir, keys)");
  auto it = manifest.splits.find(split);
  if (it == manifest.splits.end() || it->second.shards.empty())
    GALIEN_USER_ERROR(shard_dir << "/manifest.json has no '" << split << "' split; re-run "
                      << "`galien shard` for this dataset");
  const SplitInfo& info = it->second;
  for (const auto& entry : info.shards) {
    shard_sizes_.push_back(entry.num_samples);
    files_.push_back(entry.file);
  }
  loaded_.resize(info.shards.size());
  readers_.resize(info.shards.size());
  // Any rank count: a rank may own no sample of a small evaluation split (training refuses
  // that in EpochPlan, where every rank must take part in every step).
  const SampleOwnership ownership(shard_sizes_, world_size, /*allow_idle_ranks=*/true);
  owned_ = ownership.shards_of(rank);
  owned_samples_ = ownership.samples_of(rank);
  for (int s : owned_) owned_files_.push_back(info.shards[static_cast<std::size_t>(s)].file);
  // Image datasets: pixels stay in the (decrypted) file image and are read per sample.
  const bool images = !manifest.images.empty();
  // Each owned shard is read once and verified (SHA-256 against the HMAC-signed manifest, or its
  // GCM tag) before any byte is used. The others are only checked to exist: their readers verify
  // them, and an error on any rank stops every rank (launcher/commands/train.cpp), so no rank
  // trains on a split another rank rejects. Hashing every shard on every rank made the first
  // pass of range mode (fewer shards than ranks) 0.65x the whole-shard mode (docs/BENCHMARKS.md).
  std::vector<bool> owned(info.shards.size(), false);
  for (int s : owned_) owned[static_cast<std::size_t>(s)] = true;
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  for (std::size_t s = 0; s < info.shards.size(); ++s) {
    const ShardEntry& entry = info.shards[s];
    if (!owned[s]) {
      check_shard_present(shard_dir, entry);
      continue;
    }
    const ShardData* data = nullptr;
    if (images) {
      const std::string path = (std::filesystem::path(shard_dir) / entry.file).string();
      // Each owned file is read once, whole and sequentially, verified, and kept in memory:
      // the epoch's reads then touch memory only (no per-sample I/O to prefetch).
      readers_[s] = std::make_unique<ShardReader>(
          load_verified_shard(shard_dir, entry, manifest, keys), path, read_path);
      data = &readers_[s]->data();
      if (data->num_samples() != entry.num_samples)
        GALIEN_USER_ERROR("shard " << path << " holds " << data->num_samples()
                          << " samples but manifest.json says " << entry.num_samples
                          << ": re-run `galien shard`");
      if (!readers_[s]->has_image())
        GALIEN_USER_ERROR("shard " << shard_name(static_cast<int>(s)) << " has no /image but "
                          << "manifest.json describes images: re-run `galien shard`");
      if (image_shape_.empty()) {
        image_shape_ = data->images.shape;
        has_mask_ = data->images.has_mask;
      } else if (data->images.shape != image_shape_ || data->images.has_mask != has_mask_) {
        GALIEN_USER_ERROR("shard " << shard_name(static_cast<int>(s)) << " holds images of "
                          << "another shape (or mask) than the split's first shard: re-run "
                          << "`galien shard`");
      }
    } else {
      loaded_[s] = load_shard(shard_dir, entry, manifest, keys);
      data = &loaded_[s];
    }
    if (data->num_features != num_features_)
      GALIEN_USER_ERROR("shard " << shard_name(static_cast<int>(s)) << " holds "
                        << data->num_features << " features but manifest.json says "
                        << num_features_ << "; re-run `galien shard`");
  }
  // A rank that owns no shard of this split still knows the image shape (from the manifest).
  if (images && image_shape_.empty()) {
    const auto described = nlohmann::json::parse(manifest.images, nullptr, false);
    if (described.is_object() && described.contains("shape") && described["shape"].is_array()) {
      for (const auto& d : described["shape"]) image_shape_.push_back(d.get<std::int64_t>());
      has_mask_ = described.value("mask", false);
    }
  }
}

std::string RankShards::shard_name(int shard) const {
  return files_[static_cast<std::size_t>(shard)] + " in " + shard_dir_;
}

std::int64_t RankShards::num_owned_samples() const {
  return static_cast<std::int64_t>(owned_samples_.size());
}

const ShardData& RankShards::data_of(const SampleRef& sample) const {
  GALIEN_CHECK(sample.shard >= 0 && static_cast<std::size_t>(sample.shard) < loaded_.size(),
               "shard " << sample.shard << " is not in this split");
  const auto s = static_cast<std::size_t>(sample.shard);
  const ShardData& data = readers_[s] ? readers_[s]->data() : loaded_[s];
  GALIEN_CHECK(sample.index >= 0 && sample.index < data.num_samples(),
               "sample " << sample.index << " of shard " << sample.shard
                         << " is not loaded on this rank");
  return data;
}

const ShardReader& RankShards::reader_of(const SampleRef& sample, const char* what) const {
  data_of(sample);  // ownership and range
  const auto& reader = readers_[static_cast<std::size_t>(sample.shard)];
  if (!reader)
    GALIEN_USER_ERROR("shard " << shard_name(sample.shard) << " has no " << what
                      << ": it is not an image dataset (manifest.json has no \"images\")");
  return *reader;
}

void RankShards::gather(const std::vector<SampleRef>& samples, float* features,
                        std::int64_t* labels) const {
  const auto width = static_cast<std::size_t>(num_features_);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardData& shard = data_of(samples[i]);
    const auto row = static_cast<std::size_t>(samples[i].index);
    if (width > 0)
      std::memcpy(features + i * width, shard.features.data() + row * width, width * sizeof(float));
    labels[i] = shard.labels[row];
  }
}

void RankShards::gather_survival(const std::vector<SampleRef>& samples, float* time,
                                 float* event) const {
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardData& shard = data_of(samples[i]);
    if (shard.time.empty())
      GALIEN_USER_ERROR("shard " << shard_name(samples[i].shard) << " has no /time (survival "
                        << "time): it is not a survival dataset; shard it with data.task: "
                        << "survival, data.time and data.event");
    const auto row = static_cast<std::size_t>(samples[i].index);
    time[i] = shard.time[row];
    event[i] = shard.event[row] != 0 ? 1.0f : 0.0f;
  }
}

void RankShards::gather_targets(const std::vector<SampleRef>& samples, float* target) const {
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardData& shard = data_of(samples[i]);
    if (shard.target.empty())
      GALIEN_USER_ERROR("shard " << shard_name(samples[i].shard) << " has no /target: it is "
                        << "not a regression dataset; shard it with data.task: regression and "
                        << "data.label naming the numeric target");
    target[i] = shard.target[static_cast<std::size_t>(samples[i].index)];
  }
}

std::vector<std::string> RankShards::pseudonyms(const std::vector<SampleRef>& samples) const {
  std::vector<std::string> out;
  out.reserve(samples.size());
  for (const SampleRef& sample : samples)
    out.push_back(data_of(sample).pseudonyms[static_cast<std::size_t>(sample.index)]);
  return out;
}

std::string RankShards::image_meta(const SampleRef& sample) const {
  const std::vector<std::string>& meta = data_of(sample).images.meta;
  return meta.empty() ? std::string() : meta[static_cast<std::size_t>(sample.index)];
}

namespace {

// One sample's stored bytes through `read` (ShardReader::image_bytes or mask_bytes): under the
// process-wide HDF5 lock when the reader calls HDF5, lock-free through a chunk index.
template <typename Read>
const std::uint8_t* stored_bytes(const ShardReader& reader, Read read) {
  if (!reader.calls_hdf5()) return read();
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  return read();
}

}  // namespace

void RankShards::gather_images(const std::vector<SampleRef>& samples, float* out) const {
  const auto n = static_cast<std::size_t>(product(image_shape_, 0));
  std::vector<std::uint8_t> scratch;  // a sample decoded (gzip) or read by HDF5
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardReader& reader = reader_of(samples[i], "/image");
    const std::int64_t index = samples[i].index;
    // The next sample's bytes load while this one converts: a shuffled order defeats the
    // hardware prefetcher at each sample's start (+45% images/s on 64x64 uint8 here).
    if (i + 1 < samples.size())
      reader_of(samples[i + 1], "/image").prefetch_image(samples[i + 1].index);
    const std::uint8_t* stored =
        stored_bytes(reader, [&] { return reader.image_bytes(index, scratch); });
    // uint8: v / 255 (datasets/pixel_convert.h, the division's exact values); float16 as stored.
    if (reader.data().images.dtype == PixelType::kFloat16)
      half_bytes_to_float(stored, n, out + i * n);
    else
      u8_to_unit_float(stored, n, out + i * n);
  }
}

void RankShards::gather_masks(const std::vector<SampleRef>& samples, std::int64_t* out) const {
  const auto n = static_cast<std::size_t>(image_shape_.empty() ? 0 : product(image_shape_, 1));
  std::vector<std::uint8_t> scratch;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const ShardReader& reader = mask_reader_of(samples[i]);
    const std::int64_t index = samples[i].index;
    if (i + 1 < samples.size())
      mask_reader_of(samples[i + 1]).prefetch_mask(samples[i + 1].index);
    u8_to_int64(stored_bytes(reader, [&] { return reader.mask_bytes(index, scratch); }), n,
                out + i * n);
  }
}

void RankShards::read_mask(const SampleRef& sample, std::uint8_t* out) const {
  const ShardReader& reader = mask_reader_of(sample);
  if (!reader.calls_hdf5()) {
    std::vector<std::uint8_t> scratch;
    std::memcpy(out, reader.mask_bytes(sample.index, scratch),
                static_cast<std::size_t>(reader.data().images.mask_pixels()));
    return;
  }
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  reader.read_mask(sample.index, out);
}

const ShardReader& RankShards::mask_reader_of(const SampleRef& sample) const {
  const ShardReader& reader = reader_of(sample, "/mask");
  if (!reader.has_mask())
    GALIEN_USER_ERROR("shard " << shard_name(sample.shard) << " has no /mask "
                      << "(segmentation labels): use a dataset sharded with masks");
  return reader;
}

bool RankShards::uses_chunk_index() const {
  bool any = false;
  for (const auto& reader : readers_) {
    if (!reader) continue;
    if (!reader->uses_chunk_index()) return false;
    any = true;
  }
  return any;
}

std::vector<SampleRef> RankShards::all_owned_samples() const { return owned_samples_; }

// /extent (shard format 1.3) when the shard has one, else the full stored size (ShardReader).
std::array<std::int64_t, 3> RankShards::extent(const SampleRef& sample) const {
  return reader_of(sample, "/image").extent(sample.index);
}

}  // namespace galien
