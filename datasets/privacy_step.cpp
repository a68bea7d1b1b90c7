#include "datasets/privacy_step.h"

#include <filesystem>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "privacy/audit_log.h"
#include "privacy/cell.h"

namespace galien {

CsvTable apply_privacy_policy(PseudonymisationPolicy& policy, CsvTable csv,
                              const DataConfig& data, const Pseudonymizer& pseudonymizer,
                              const std::string& key_namespace) {
  PolicyTable table;
  table.source = csv.path;
  const int id_index = data.patient_id_column ? csv.column_index(*data.patient_id_column) : -1;
  for (const CsvRow& row : csv.rows) {
    table.lines.push_back(row.line);
    // The same patient key as encode_table's, so offsets follow the written pseudonyms.
    table.patients.push_back(pseudonymizer(
        key_namespace +
        (id_index >= 0 ? std::string(trim_cell(row.fields[static_cast<std::size_t>(id_index)]))
                       : "row:" + std::to_string(row.line))));
  }
  std::vector<std::pair<std::size_t, std::string>> indices;
  for (const PolicyColumn& column : policy.columns()) {
    const int index = csv.column_index(column.name);
    if (index < 0) {
      GALIEN_USER_ERROR(column.key << " names column '" << column.name << "', which is not in "
                                   << csv.path << "; check the header row of the file");
    }
    std::vector<std::string>& cells = table.columns[column.name];
    for (const CsvRow& row : csv.rows) cells.push_back(row.fields[static_cast<std::size_t>(index)]);
    indices.emplace_back(static_cast<std::size_t>(index), column.name);
  }
  policy.apply(table);
  for (const auto& [index, name] : indices) {
    const std::vector<std::string>& cells = table.columns.at(name);
    for (std::size_t r = 0; r < csv.rows.size(); ++r) csv.rows[r].fields[index] = cells[r];
  }
  return csv;
}

void record_shards_created(const Config& config, const Manifest& manifest,
                           const PseudonymisationPolicy& policy,
                           const PseudonymisationPolicy* test_policy) {
  const std::string dir = config.data.shard_dir;
  ShardsCreatedEvent event;
  event.shard_dir = dir;
  event.inputs.emplace_back(manifest.source_file, manifest.source_sha256);
  if (manifest.test_table)
    event.inputs.emplace_back(manifest.test_table->file, manifest.test_table->sha256);
  event.config_sha256 = manifest.config_sha256;
  event.key_id = manifest.key_id;
  event.manifest_sha256 = sha256_file_hex((std::filesystem::path(dir) / "manifest.json").string());
  for (const auto& [name, split] : manifest.splits)
    event.num_shards += static_cast<std::int64_t>(split.shards.size());
  event.risk_gate = policy.gate_summary();
  if (test_policy) event.risk_gate["test_table"] = test_policy->gate_summary();
  const std::string log_path = audit_log_path(config);
  append_shards_created(log_path, event);
  log::info0("shard: audit log entry appended to {}", log_path);
}

}  // namespace galien
