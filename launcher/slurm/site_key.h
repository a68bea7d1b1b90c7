// A cluster profile is a compute site: it gets a dataset's data key, never the data controller's
// key, which can recompute every pseudonym (docs/PRIVACY.md, "Who holds which key").
#pragma once

#include <iosfwd>
#include <string>

#include "core/config/config.h"

namespace galien::slurm {

// Before anything is rendered or submitted (dry runs included): refuses a controller key in
// privacy.key_file with the command that derives the data key. A missing or malformed key file is refused
// by the key file's own checks, except in a dry run, which may be rendered away from the cluster:
// then a missing file is only noted on `notes`. No key_file (plain shards, SHA-256 checks only)
// is accepted.
void check_compute_site_key(const Config& config, const std::string& cluster, bool dry_run,
                            std::ostream& notes);

}  // namespace galien::slurm
