// Shared by the libFuzzer targets (tests/fuzz/, docs/RELIABILITY.md).
//
// A target feeds one input to one front door and lets only the errors a user is meant to see
// (galien::UserError: names the file and what to do) through. Anything else escaping — a
// std::out_of_range, a json type_error, an InternalError, std::bad_alloc — is a finding: it
// reaches libFuzzer as an uncaught exception (abort), as do ASan/UBSan reports and broken
// invariants (GALIEN_FUZZ_INVARIANT).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.h"

// A property every accepted input must have (e.g. an array holds as many elements as its shape
// says). Aborts, so libFuzzer records the input as a crash.
#define GALIEN_FUZZ_INVARIANT(cond)                                                       \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace galien_fuzz {

// Runs `body`; a UserError is the expected answer to bad input.
template <typename F>
void expect_user_errors_only(F&& body) {
  try {
    body();
  } catch (const galien::UserError&) {
  }
}

// A folder on tmpfs, one per fuzzing process, for the front doors that take a path (DICOM tree,
// npz through minizip, manifest + .hmac, audit log): the input is written there and the normal
// file-based reader runs on it, so no second, memory-only code path is fuzzed instead of the
// real one. tmpfs: no disk I/O, a few microseconds per input.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("GALIEN_FUZZ_TMP");
    std::string d = std::string(base ? base : "/dev/shm") + "/galien-fuzz-" +
                    std::to_string(::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes `size` bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_scratch(const std::string& name, const std::uint8_t* data,
                                 std::size_t size) {
  const std::string path = scratch_dir() + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return path;
}

}  // namespace galien_fuzz
