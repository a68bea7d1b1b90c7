// YAML config loader + schema + overrides (core/config, core/yaml). Input: the YAML text, then
// optionally a NUL byte and one override KEY=VALUE per line, as `galien ... --set` passes them.
#include <sstream>

#include "core/config/config.h"
#include "tests/fuzz/fuzz_support.h"

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
    galien::Config again = galien::load_config_text(config.resolved_yaml, "resolved.yaml");
    GALIEN_FUZZ_INVARIANT(again.sha256 == config.sha256);
  });
  for (const std::string& o : overrides) {
    galien_fuzz::expect_user_errors_only([&] { galien::check_override(o, "fuzz override"); });
  }
  return 0;
}
