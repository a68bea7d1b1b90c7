// Tamper-evident audit log: append-only JSON lines, one event per line,
//   {"seq": N, "prev_sha256": "<SHA-256 of line N-1's bytes>", "time_utc": "...",
//    "event": "...", ...fields}
// with seq counting from 1 (= the line number) and 64 zeros as the first entry's prev_sha256.
// Editing, inserting or deleting any line breaks the chain at the next line; verify_audit_log
// names the first broken line. Appends hold an exclusive flock on the file, write the line in
// one O_APPEND write and fsync, so concurrent ranks and jobs never interleave or fork the chain.
// Never put key material or a patient value in an event.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"

namespace galien {

// privacy.audit_log, or <data.shard_dir>/audit.jsonl when unset.
std::string audit_log_path(const Config& config);

// Appends one event (creating the file, mode 0664 less the umask, if needed) and returns the
// entry as written. `fields` must be an object; its keys follow seq, prev_sha256, time_utc and
// event. Throws UserError naming the file when it cannot be written or its last line is not a
// complete entry (run `galien audit verify-log`).
nlohmann::ordered_json append_audit_event(const std::string& log_path, const std::string& event,
                                          const nlohmann::ordered_json& fields);

// Who acts: {"user", "host", "job"}; job is $SLURM_JOB_ID (with the array task when set), or
// "local-<pid>" outside Slurm.
nlohmann::ordered_json audit_actor();

// `galien shard` wrote a shard directory.
struct ShardsCreatedEvent {
  std::string shard_dir;
  std::vector<std::pair<std::string, std::string>> inputs;  // (file name, SHA-256)
  std::string config_sha256;
  std::string key_id;                                       // never the key
  std::string manifest_sha256;
  std::int64_t num_shards = 0;
  nlohmann::ordered_json risk_gate;                         // k before/after, k_min, decision
};
void append_shards_created(const std::string& log_path, const ShardsCreatedEvent& event);

// A training job read shards: the trainer calls this once per rank (before step 1) with the
// shards that rank verified and opened. user, host and job come from audit_actor().
struct ShardsReadEvent {
  std::string shard_dir;
  std::string manifest_sha256;
  std::string config_sha256;         // the training run's resolved config
  std::string key_id;                // from the manifest; never the key
  std::vector<std::string> shards;   // file names this rank read
  int rank = 0;
  int world_size = 1;
  // The key file the reader was given: "controller", "data" or "none", and its own key id
  // ("" for none): shows whether the controller's key ever reached a compute site.
  std::string reader_key_kind = "none";
  std::string reader_key_id;
};
void append_shards_read(const std::string& log_path, const ShardsReadEvent& event);

struct AuditLogCheck {
  bool ok = true;
  std::int64_t entries = 0;        // complete, valid entries before the first problem
  std::int64_t bad_line = 0;       // 1-based line of the first broken entry (0 when ok)
  std::string problem;             // what is wrong there
  std::string head_sha256;         // SHA-256 of the last valid line (64 zeros for an empty log)
};

// The data controller derived a data key for one dataset (`galien keygen --data-key`).
struct DataKeyDerivedEvent {
  std::string shard_dir;
  std::string dataset_id;
  std::string controller_key_id;   // never a key
  std::string data_key_id;
};
void append_data_key_derived(const std::string& log_path, const DataKeyDerivedEvent& event);

// Checks every line: valid JSON object, seq equal to its line number, prev_sha256 equal to the
// SHA-256 of the previous line, a line end after the last entry. Throws UserError only when the
// file cannot be read.
AuditLogCheck verify_audit_log(const std::string& log_path);

}  // namespace galien
