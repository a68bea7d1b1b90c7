#include "core/config/identity.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "core/config/schema.h"
#include "core/hash.h"

namespace galien {

const std::vector<std::string>& location_keys() {
  static const std::vector<std::string> keys = {
      "name",                            // names the default run directory
      "data.shard_dir",                  // the data is checked by the manifest's SHA-256
      "privacy.key_file",                // a path; the key is checked against the manifest
      "trainer.output_dir",  "trainer.run_dir",
      "trainer.resume",      "trainer.resume_ignore_mismatch",
  };
  return keys;
}

namespace {

bool left_out(const std::string& path) {
  if (path.rfind("launch.", 0) == 0) return true;  // how the job is submitted
  const auto& keys = location_keys();
  return std::find(keys.begin(), keys.end(), path) != keys.end();
}

}  // namespace

std::string training_identity_sha256(const Config& config) {
  std::string text;
  for (const FieldSpec& field : config_schema()) {
    if (left_out(field.path)) continue;
    YAML::Emitter out;
    out.SetNullFormat(YAML::LowerNull);
    out << YAML::Flow << field.write(config);
    text += field.path + ": " + out.c_str() + "\n";
  }
  return sha256_hex(text);
}

}  // namespace galien
