// UTC wall-clock stamps, one format each, for every record galien writes (manifests, audit log,
// run directory names): UTC so that files made on machines in different zones compare.
#pragma once

#include <string>

namespace galien {

// "2026-12-07T01:40:00Z" (ISO 8601, seconds): manifests, audit records, run summaries.
std::string utc_now_iso8601();
// "20261207-014000": run directory names (sortable, no characters a shell or Slurm quotes).
std::string utc_now_compact();

}  // namespace galien
