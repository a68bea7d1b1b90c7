#include "datasets/manifest.h"

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "privacy/data_keys.h"

namespace galien {
namespace {

// Keys keep the order written here, so manifest.json reads top-down like the struct.
using Json = nlohmann::ordered_json;

constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kHmacSuffix = ".hmac";
constexpr const char* kHmacFormat = "galien-manifest-hmac";
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
    Json feature = {{"name", f.name},
                    {"kind", f.kind},
                    {"source", f.source},
                    {"mean", f.mean},
                    {"std", f.std}};
    if (!f.transform.empty()) feature["transform"] = f.transform;
    features.push_back(feature);
  }
  Json splits = Json::object();
  for (const auto& [name, split] : m.splits) splits[name] = to_json(split);
  Json encryption = nullptr;
  if (m.encryption) {
    encryption = {{"algorithm", m.encryption->algorithm},
                  {"kdf", m.encryption->kdf},
                  {"salt", m.encryption->salt}};
  }
  Json j = {{"format", m.format},
          {"format_version_major", m.format_version_major},
          {"format_version_minor", m.format_version_minor},
          {"created_utc", m.created_utc},
          {"galien_version", m.galien_version},
          {"key_id", m.key_id},
          {"dataset_id", m.dataset_id},
          {"dataset_salt", m.dataset_salt},
          {"config_sha256", m.config_sha256},
          {"source_file", m.source_file},
          {"source_sha256", m.source_sha256},
          {"source_rows", m.source_rows},
          {"rejected_rows", m.rejected_rows},
          {"label_column", m.label_column},
          {"classes", m.classes},
          {"task", m.task}};
  if (m.task == "survival") {
    j["time_column"] = m.time_column;
    j["event_column"] = m.event_column;
  }
  if (m.task == "regression") {
    j["target_mean"] = m.target_mean;
    j["target_std"] = m.target_std;
  }
  j["features"] = features;
  j["splits"] = splits;
  j["encryption"] = encryption;
  j["cv"] = m.cv ? Json{{"folds", m.cv->folds},
                        {"repeats", m.cv->repeats},
                        {"fold", m.cv->fold},
                        {"repeat", m.cv->repeat}}
                 : Json(nullptr);
  j["test_table"] = m.test_table ? Json{{"file", m.test_table->file},
                                        {"sha256", m.test_table->sha256},
                                        {"rows", m.test_table->rows},
                                        {"rejected_rows", m.test_table->rejected_rows},
                                        {"patients", m.test_table->patients}}
                                 : Json(nullptr);
  if (!m.images.empty()) j["images"] = Json::parse(m.images);  // 1.2: image datasets only
  return j;
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

EncryptionInfo encryption_from_json(const Json& j, const std::string& path) {
  EncryptionInfo info{j.at("algorithm").get<std::string>(), j.at("kdf").get<std::string>(),
                      j.at("salt").get<std::string>()};
  if (info.algorithm != "AES-256-GCM" || info.kdf != "HKDF-SHA256") {
    GALIEN_USER_ERROR(path << " says shards are encrypted with " << info.algorithm << " / "
                           << info.kdf << "; this galien knows only AES-256-GCM / HKDF-SHA256: "
                           << "use a newer galien");
  }
  if (info.salt.size() != 64 || info.salt.find_first_not_of("0123456789abcdef") !=
                                    std::string::npos) {
    GALIEN_USER_ERROR(path << ": encryption.salt is not 64 lowercase hex digits; re-run "
                           << "`galien shard`");
  }
  return info;
}

bool present(const Json& j, const char* key) { return j.contains(key) && !j.at(key).is_null(); }

// Manifests before 1.3 have no "task": they are classification datasets without cv or test table.
void read_task(const Json& j, Manifest& m, const std::string& path) {
  if (!j.contains("task")) return;
  m.task = j.at("task").get<std::string>();
  if (m.task != "classification" && m.task != "survival" && m.task != "regression" &&
      m.task != "segmentation") {
    GALIEN_USER_ERROR(path << " has task '" << m.task << "', which this galien does not know "
                           << "(classification, survival, regression, segmentation): use a "
                           << "newer galien");
  }
  if (m.task == "survival") {
    m.time_column = j.at("time_column").get<std::string>();
    m.event_column = j.at("event_column").get<std::string>();
  }
  if (m.task == "regression") {
    m.target_mean = j.at("target_mean").get<double>();
    m.target_std = j.at("target_std").get<double>();
  }
  if (present(j, "cv")) {
    const Json& cv = j.at("cv");
    m.cv = CvInfo{cv.at("folds").get<int>(), cv.at("repeats").get<int>(), cv.at("fold").get<int>(),
                  cv.at("repeat").get<int>()};
  }
  if (present(j, "test_table")) {
    const Json& t = j.at("test_table");
    m.test_table = TestTableInfo{t.at("file").get<std::string>(), t.at("sha256").get<std::string>(),
                                 t.at("rows").get<std::int64_t>(),
                                 t.at("rejected_rows").get<std::map<std::string, std::int64_t>>(),
                                 t.at("patients").get<std::string>()};
  }
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

bool is_hex_digits(const std::string& text, std::size_t digits) {
  if (text.size() != digits) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

void check_dataset_identity(const Manifest& m, const std::string& path) {
  if (!is_hex_digits(m.dataset_salt, 64) || !is_hex_digits(m.dataset_id, 16) ||
      dataset_id_of(from_hex(m.dataset_salt)) != m.dataset_id) {
    GALIEN_USER_ERROR(path << ": dataset_id and dataset_salt do not belong together (a 16-digit "
                           << "id of a 64-digit salt): the manifest was modified; copy the shard "
                           << "directory again from the data controller");
  }
}

// The identity as written in the manifest, read before authentication to choose the manifest key
// (the HMAC covers these fields, so a forged identity fails authentication).
DatasetIdentity identity_in(const Json& j) {
  DatasetIdentity dataset;
  if (!j.is_object()) return dataset;  // invalid JSON: left to the parse, which names the file
  const auto salt = j.find("dataset_salt");
  if (salt != j.end() && salt->is_string() && is_hex_digits(salt->get<std::string>(), 64)) {
    dataset.salt = from_hex(salt->get<std::string>());
    const auto id = j.find("dataset_id");
    if (id != j.end() && id->is_string()) dataset.id = id->get<std::string>();
  }
  return dataset;
}

Manifest from_json(const Json& j, const std::string& path) {
  check_format(j, path);
  Manifest m;
  m.format_version_major = j.at("format_version_major").get<int>();
  m.format_version_minor = j.at("format_version_minor").get<int>();
  m.created_utc = j.at("created_utc").get<std::string>();
  m.galien_version = j.at("galien_version").get<std::string>();
  m.key_id = j.at("key_id").get<std::string>();
  // 1.4; absent in older manifests.
  m.dataset_id = j.value("dataset_id", std::string());
  m.dataset_salt = j.value("dataset_salt", std::string());
  if (!m.dataset_salt.empty() || !m.dataset_id.empty()) check_dataset_identity(m, path);
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
                          f.at("std").get<double>(), f.value("transform", std::string())});
  }
  for (const auto& [name, split] : j.at("splits").items()) {
    m.splits[name] = split_from_json(split, path);
  }
  if (j.contains("images")) m.images = j.at("images").dump();
  read_task(j, m, path);
  // Version 1.0 manifests have no "encryption" field: plain shards.
  if (j.contains("encryption") && !j.at("encryption").is_null()) {
    m.encryption = encryption_from_json(j.at("encryption"), path);
  }
  return m;
}

std::string manifest_mac_hex(const DataKeys& keys, const DatasetIdentity& dataset,
                             const std::string& text) {
  auto mac = hmac_sha256(keys.manifest_key(dataset), reinterpret_cast<const std::uint8_t*>(text.data()),
                         text.size());
  return to_hex(mac.data(), mac.size());
}

// Reads the sidecar's key id and MAC; any shape problem is an authentication failure.
std::pair<std::string, std::string> read_sidecar(const std::string& shard_dir) {
  const std::string path = manifest_hmac_path(shard_dir);
  if (!std::filesystem::exists(path)) {
    GALIEN_USER_ERROR(manifest_path(shard_dir)
                      << ": authentication failed: " << path << " is missing, so the manifest "
                      << "cannot be authenticated; copy the whole shard directory again, or "
                      << "re-run `galien shard` (galien 0.1 wrote no manifest.json.hmac)");
  }
  try {
    Json j = Json::parse(read_file(path));
    if (j.at("format").get<std::string>() != kHmacFormat || j.at("version").get<int>() != 1)
      throw std::invalid_argument("unknown format");
    return {j.at("key_id").get<std::string>(), j.at("hmac_sha256").get<std::string>()};
  } catch (const std::exception&) {
    GALIEN_USER_ERROR(manifest_path(shard_dir)
                      << ": authentication failed: " << path << " is not a galien manifest "
                      << "HMAC file; copy the whole shard directory again");
  }
}

void authenticate(const std::string& shard_dir, const std::string& text, const Json& parsed,
                  const DataKeys& keys) {
  const DatasetIdentity dataset = identity_in(parsed);
  if (!keys.opens(dataset)) {
    GALIEN_USER_ERROR(manifest_path(shard_dir) << ": "
                                               << other_dataset_advice(keys, dataset,
                                                                       "shard directory " + shard_dir));
  }
  const auto [signer_key_id, stored] = read_sidecar(shard_dir);
  const std::string expected = manifest_mac_hex(keys, dataset, text);
  if (stored.size() == expected.size() &&
      equal_constant_time(reinterpret_cast<const std::uint8_t*>(stored.data()),
                          reinterpret_cast<const std::uint8_t*>(expected.data()),
                          expected.size())) {
    return;
  }
  if (signer_key_id != keys.key_id()) {
    GALIEN_USER_ERROR(manifest_path(shard_dir) << ": authentication failed: "
                                               << wrong_key_advice(signer_key_id, keys.key_id()));
  }
  GALIEN_USER_ERROR(manifest_path(shard_dir)
                    << ": authentication failed: manifest.json was modified after `galien "
                    << "shard` wrote it (its HMAC does not match under key id " << keys.key_id()
                    << "); copy the shard directory again from the data controller");
}

}  // namespace

DatasetIdentity dataset_identity(const Manifest& manifest) {
  DatasetIdentity dataset;
  dataset.id = manifest.dataset_id;
  if (!manifest.dataset_salt.empty()) dataset.salt = from_hex(manifest.dataset_salt);
  return dataset;
}

void assign_new_dataset_identity(Manifest& manifest) {
  const DatasetIdentity dataset = new_dataset_identity();
  manifest.dataset_id = dataset.id;
  manifest.dataset_salt = to_hex(dataset.salt.data(), dataset.salt.size());
}

void save_manifest(const std::string& shard_dir, const Manifest& manifest) {
  write_file_atomic(manifest_path(shard_dir), to_json(manifest).dump(2) + "\n");
}

void save_manifest(const std::string& shard_dir, const Manifest& manifest, const DataKeys& keys) {
  const std::string text = to_json(manifest).dump(2) + "\n";
  const Json sidecar = {{"format", kHmacFormat},
                        {"version", 1},
                        {"algorithm", "HMAC-SHA256"},
                        {"key", manifest.dataset_salt.empty()
                                    ? "HKDF-SHA256 manifest key, info 'galien manifest v1'"
                                    : "HKDF-SHA256 manifest key of the dataset key, info 'galien "
                                      "manifest v1'"},
                        {"key_id", keys.key_id()},
                        {"hmac_sha256", manifest_mac_hex(keys, dataset_identity(manifest), text)}};
  write_file_atomic(manifest_hmac_path(shard_dir), sidecar.dump(2) + "\n");
  write_file_atomic(manifest_path(shard_dir), text);
}

Manifest load_manifest(const std::string& shard_dir) { return load_manifest(shard_dir, nullptr); }

Manifest load_manifest(const std::string& shard_dir, const DataKeys* keys) {
  std::string path = manifest_path(shard_dir);
  if (!std::filesystem::exists(path)) {
    GALIEN_USER_ERROR(path << " does not exist: run `galien shard` first, or check data.shard_dir");
  }
  // One read: the bytes authenticated are the bytes parsed.
  const std::string text = read_file(path);
  // Parsed once: the identity in it chooses the manifest key, the HMAC is over `text`.
  const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (keys) authenticate(shard_dir, text, parsed, *keys);
  if (parsed.is_discarded())
    GALIEN_USER_ERROR(path << " is not a valid galien manifest (not JSON): re-run `galien shard`");
  try {
    Manifest manifest = from_json(parsed, path);
    manifest.authenticated = keys != nullptr;
    return manifest;
  } catch (const Json::exception& e) {
    GALIEN_USER_ERROR(path << " is not a valid galien manifest (" << e.what()
                           << "): re-run `galien shard`");
  }
}

bool has_split(const Manifest& manifest, const std::string& split) {
  auto it = manifest.splits.find(split);
  return it != manifest.splits.end() && !it->second.shards.empty();
}

std::string manifest_hmac_path(const std::string& shard_dir) {
  return manifest_path(shard_dir) + kHmacSuffix;
}

std::string manifest_sha256(const std::string& shard_dir) {
  return sha256_file_hex(manifest_path(shard_dir));
}

void check_shard_sha256(const std::string& path, const std::string& actual,
                        const ShardEntry& entry, const Manifest& manifest) {
  if (actual == entry.sha256) return;
  // Against an authenticated manifest a checksum mismatch is a failed authentication.
  GALIEN_USER_ERROR("shard " << path << (manifest.authenticated ? ": authentication failed:" : "")
                             << " has SHA-256 " << actual << " but manifest.json says "
                             << entry.sha256 << ": the file is corrupted or was modified; "
                             << "copy it again or re-run `galien shard`");
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
    check_shard_sha256(path, sha256_file_hex(path), shard, manifest);
    paths.push_back(path);
  }
  return paths;
}

}  // namespace galien
