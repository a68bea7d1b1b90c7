// YAML config loader + schema + overrides (core/config, core/yaml). Input: the YAML text, then
// optionally a NUL byte and one override KEY=VALUE per line, as `galien ... --set` passes them.
#include <sstream>
#include <unordered_set>

#include "core/config/config.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// The resolved forms (by config.sha256, the SHA-256 of resolved_yaml) already loaded again and
// found to give the same hash. load_config_text is a function of its text alone, so loading a
// resolved form seen before would repeat the same check to the same answer; many mutations of an
// accepted config (comments, spacing, an override equal to a default) resolve to the same text.
// The reload is most of the cost of an accepted input (2026-12-07, a plain build on
// clinical-mlp.yaml: 0.9 ms to load, 2.1 ms more to reload the resolved form, which spells out
// every default), so each new resolved form is still checked, once.
std::unordered_set<std::string>& checked_resolved_forms() {
  static std::unordered_set<std::string> seen;
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string yaml = input;
  std::vector<std::string> overrides;
  if (std::size_t nul = input.find('\0'); nul != std::string::npos) {
    yaml = input.substr(0, nul);
    std::istringstream lines(input.substr(nul + 1));
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  galien_fuzz::expect_user_errors_only([&] {
    galien::Config config = galien::load_config_text(yaml, "fuzz.yaml", overrides);
    // An accepted config must load again from its own resolved form, to the same hash.
    if (checked_resolved_forms().count(config.sha256)) return;
    galien::Config again = galien::load_config_text(config.resolved_yaml, "resolved.yaml");
    GALIEN_FUZZ_INVARIANT(again.sha256 == config.sha256);
    checked_resolved_forms().insert(config.sha256);
  });
  for (const std::string& o : overrides) {
    galien_fuzz::expect_user_errors_only([&] { galien::check_override(o, "fuzz override"); });
  }
  return 0;
}
