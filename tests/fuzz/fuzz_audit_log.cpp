// Audit-log verifier (privacy/audit_log.h): `galien audit verify-log` on a log copied anywhere.
#include "privacy/audit_log.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = galien_fuzz::write_scratch("audit.jsonl", data, size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::AuditLogCheck c = galien::verify_audit_log(path);
    GALIEN_FUZZ_INVARIANT(c.ok == (c.bad_line == 0));
    GALIEN_FUZZ_INVARIANT(c.ok || !c.problem.empty());
    GALIEN_FUZZ_INVARIANT(c.head_sha256.size() == 64);
  });
  return 0;
}
