#include "datasets/manifest.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

namespace galien {
namespace {

// Keys keep the order written here, so manifest.json reads top-down like the struct.
using Json = nlohmann::ordered_json;

constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kFormat = "galien-shards";
constexpr int kFormatMajor = 1;

std::string manifest_path(const std::string& shard_dir) {
  return (std::filesystem::path(shard_dir) / kManifestFile).string();
}

Json to_json(const SplitInfo& split) {
  Json shards = Json::array();
  for (const ShardEntry& s : split.shards) {
    shards.push_back({{"file", s.file}, {"num_samples", s.num_samples}, {"sha256", s.sha256}});
  }
  return {{"num_samples", split.num_samples},
          {"num_patients", split.num_patients},
          {"class_counts", split.class_counts},
          {"shards", shards}};
}

Json to_json(const Manifest& m) {
  Json features = Json::array();
  for (const FeatureInfo& f : m.features) {
    features.push_back({{"name", f.name},
                        {"kind", f.kind},
                        {"source", f.source},
                        {"mean", f.mean},
                        {"std", f.std}});
  }
  Json splits = Json::object();
  for (const auto& [name, split] : m.splits) splits[name] = to_json(split);
  return {{"format", m.format},
          {"format_version_major", m.format_version_major},
          {"format_version_minor", m.format_version_minor},
          {"created_utc", m.created_utc},
          {"galien_version", m.galien_version},
          {"key_id", m.key_id},
          {"config_sha256", m.config_sha256},
          {"source_file", m.source_file},
          {"source_sha256", m.source_sha256},
          {"source_rows", m.source_rows},
          {"rejected_rows", m.rejected_rows},
          {"label_column", m.label_column},
          {"classes", m.classes},
          {"features", features},
          {"splits", splits}};
}

ShardEntry shard_from_json(const Json& j, const std::string& path) {
  ShardEntry s{j.at("file").get<std::string>(), j.at("num_samples").get<std::int64_t>(),
               j.at("sha256").get<std::string>()};
  // A manifest may come from elsewhere: it must not point a reader outside its directory.
  if (s.file.empty() || s.file.find('/') != std::string::npos || s.file == "." || s.file == "..") {
    GALIEN_USER_ERROR(path << ": shard file name '" << s.file << "' is not a plain file name");
  }
  return s;
}

SplitInfo split_from_json(const Json& j, const std::string& path) {
  SplitInfo split;
  split.num_samples = j.at("num_samples").get<std::int64_t>();
  split.num_patients = j.at("num_patients").get<std::int64_t>();
  split.class_counts = j.at("class_counts").get<std::vector<std::int64_t>>();
  for (const Json& s : j.at("shards")) split.shards.push_back(shard_from_json(s, path));
  return split;
}

void check_format(const Json& j, const std::string& path) {
  std::string format = j.at("format").get<std::string>();
  if (format != kFormat) {
    GALIEN_USER_ERROR(path << " has format '" << format << "', not '" << kFormat
                           << "': point data.shard_dir at a directory written by `galien shard`");
  }
  int major = j.at("format_version_major").get<int>();
  if (major > kFormatMajor) {
    GALIEN_USER_ERROR(path << " has format version " << major << "."
                           << j.at("format_version_minor").get<int>()
                           << ", newer than this galien reads (" << kFormatMajor
                           << ".x): use a newer galien, or re-run `galien shard` with this one");
  }
}

Manifest from_json(const Json& j, const std::string& path) {
  check_format(j, path);
  Manifest m;
  m.format_version_major = j.at("format_version_major").get<int>();
  m.format_version_minor = j.at("format_version_minor").get<int>();
  m.created_utc = j.at("created_utc").get<std::string>();
  m.galien_version = j.at("galien_version").get<std::string>();
  m.key_id = j.at("key_id").get<std::string>();
  m.config_sha256 = j.at("config_sha256").get<std::string>();
  m.source_file = j.at("source_file").get<std::string>();
  m.source_sha256 = j.at("source_sha256").get<std::string>();
  m.source_rows = j.at("source_rows").get<std::int64_t>();
  m.rejected_rows = j.at("rejected_rows").get<std::map<std::string, std::int64_t>>();
  m.label_column = j.at("label_column").get<std::string>();
  m.classes = j.at("classes").get<std::vector<std::string>>();
  for (const Json& f : j.at("features")) {
    m.features.push_back({f.at("name").get<std::string>(), f.at("kind").get<std::string>(),
                          f.at("source").get<std::string>(), f.at("mean").get<double>(),
                          f.at("std").get<double>()});
  }
  for (const auto& [name, split] : j.at("splits").items()) {
    m.splits[name] = split_from_json(split, path);
  }
  return m;
}

}  // namespace

void save_manifest(const std::string& shard_dir, const Manifest& manifest) {
  write_file_atomic(manifest_path(shard_dir), to_json(manifest).dump(2) + "\n");
}

Manifest load_manifest(const std::string& shard_dir) {
  std::string path = manifest_path(shard_dir);
  if (!std::filesystem::exists(path)) {
    GALIEN_USER_ERROR(path << " does not exist: run `galien shard` first, or check data.shard_dir");
  }
  try {
    return from_json(Json::parse(read_file(path)), path);
  } catch (const Json::exception& e) {
    GALIEN_USER_ERROR(path << " is not a valid galien manifest (" << e.what()
                           << "): re-run `galien shard`");
  }
}

std::string manifest_sha256(const std::string& shard_dir) {
  return sha256_file_hex(manifest_path(shard_dir));
}

std::vector<std::string> verify_split(const std::string& shard_dir, const Manifest& manifest,
                                      const std::string& split) {
  auto it = manifest.splits.find(split);
  if (it == manifest.splits.end()) {
    std::string names;
    for (const auto& entry : manifest.splits) names += (names.empty() ? "" : ", ") + entry.first;
    GALIEN_USER_ERROR(manifest_path(shard_dir)
                      << " has no split '" << split << "' (it has: " << names << ")");
  }
  std::vector<std::string> paths;
  for (const ShardEntry& shard : it->second.shards) {
    std::string path = std::filesystem::absolute(std::filesystem::path(shard_dir) / shard.file);
    if (!std::filesystem::is_regular_file(path)) {
      GALIEN_USER_ERROR("shard " << path << " listed in manifest.json is missing: copy the whole "
                                 << "shard directory again");
    }
    std::string actual = sha256_file_hex(path);
    if (actual != shard.sha256) {
      GALIEN_USER_ERROR("shard " << path << " has SHA-256 " << actual << " but manifest.json says "
                                 << shard.sha256 << ": the file is corrupted or was modified; "
                                 << "copy it again or re-run `galien shard`");
    }
    paths.push_back(path);
  }
  return paths;
}

}  // namespace galien
