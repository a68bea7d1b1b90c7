// Slurm cluster profile reader (launcher/slurm/profile.h): slurm/*.yaml and $GALIEN_PROFILE_PATH.
#include "launcher/slurm/profile.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::slurm::Profile p = galien::slurm::read_profile_text(text, "fuzz.yaml");
    GALIEN_FUZZ_INVARIANT(!p.launcher.empty());
  });
  return 0;
}
