#include "launcher/slurm/submit.h"

#include <cctype>
#include <vector>

#include "core/error.h"
#include "core/process.h"

namespace galien::slurm {
namespace {

std::string trimmed(const std::string& text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find_last_not_of(" \t\r\n") - start + 1);
}

bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

std::string parse_job_id(Scheduler scheduler, const std::string& output) {
  const std::string text = trimmed(output);
  if (scheduler == Scheduler::kSlurm) {
    // --parsable: "id" or "id;cluster" on the last line (warnings may come first).
    const std::string last = text.substr(text.find_last_of('\n') + 1);
    const std::string id = last.substr(0, last.find(';'));
    return all_digits(id) ? id : "";
  }
  // ccc_msub: the last number printed.
  std::size_t end = text.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(text[end - 1]))) --end;
  std::size_t start = end;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1]))) --start;
  return text.substr(start, end - start);
}

std::string submit_job(const Profile& profile, const std::string& script,
                       const std::string& after) {
  const bool bridge = profile.scheduler == Scheduler::kBridge;
  const std::string dependency = "--dependency=afterok:" + after + " --kill-on-invalid-dep=yes";
  std::vector<std::string> argv{bridge ? "ccc_msub" : "sbatch"};
  if (!bridge) argv.push_back("--parsable");
  if (!after.empty() && bridge) argv.insert(argv.end(), {"-E", dependency});
  if (!after.empty() && !bridge)
    argv.insert(argv.end(), {"--dependency=afterok:" + after, "--kill-on-invalid-dep=yes"});
  argv.push_back(script);

  const CommandResult result = run_command(argv);
  if (result.code == 127)
    GALIEN_USER_ERROR(argv[0] << " not found: submit from a login node of " << profile.name
                              << " (or add --dry-run to print the job script)");
  const std::string id = parse_job_id(profile.scheduler, result.output);
  if (result.code != 0 || id.empty())
    GALIEN_USER_ERROR(argv[0] << " refused " << script << " (exit " << result.code
                              << "): " << trimmed(result.output));
  return id;
}

}  // namespace galien::slurm
