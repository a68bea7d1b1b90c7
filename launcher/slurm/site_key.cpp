#include "launcher/slurm/site_key.h"

#include <filesystem>
#include <ostream>

#include "core/error.h"
#include "privacy/key_file.h"

namespace galien::slurm {

void check_compute_site_key(const Config& config, const std::string& cluster, bool dry_run,
                            std::ostream& notes) {
  const std::string& path = config.privacy.key_file;
  if (path.empty()) return;
  if (dry_run && !std::filesystem::exists(path)) {
    // A dry run may be rendered away from the cluster, where the key file is not.
    notes << "galien launch: privacy.key_file " << path << " does not exist here; the job needs "
          << "this dataset's data key at that path on the cluster (docs/clusters.md)\n";
    return;
  }
  const AnyKeyFile key = load_any_key_file(path);
  if (key.kind == KeyKind::kController) {
    GALIEN_USER_ERROR("privacy.key_file " << path << " is the data controller's key (key id "
                      << key.controller.key_id() << "): it can recompute every pseudonym, and "
                      << "cluster " << cluster << " is a compute site, which gets only the data "
                      << "key of the dataset it trains on. On the controller's machine run "
                      << "`galien keygen --data-key --from " << path << " --dataset "
                      << config.data.shard_dir << " DATA_KEY`, copy DATA_KEY to the cluster (mode "
                      << "0600), set privacy.key_file to it there, and delete the controller key "
                      << "from the cluster (docs/clusters.md)");
  }
}

}  // namespace galien::slurm
