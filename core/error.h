// Errors that reach a user: one exception type whose message names the file, line, shard or key
// and says what to do. GALIEN_CHECK adds the source location (file:line) like llm.c's *Check
// macros, for internal invariants. Never put a patient identifier or key material in a message.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace galien {

// A problem the user can fix (bad config, bad input file, wrong key). Exit code 2 at top level.
class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& what) : std::runtime_error(what) {}
};

// A broken internal invariant or a failing library call. Exit code 1 at top level.
class InternalError : public std::runtime_error {
 public:
  explicit InternalError(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
[[noreturn]] void throw_check_failure(const char* file, int line, const char* expr,
                                      const std::string& message);
}  // namespace detail

}  // namespace galien

// Build a message with stream syntax: GALIEN_FAIL("shard " << name << " is truncated").
#define GALIEN_USER_ERROR(stream_expr)                         \
  do {                                                         \
    std::ostringstream galien_msg_;                            \
    galien_msg_ << stream_expr;                                \
    throw ::galien::UserError(galien_msg_.str());              \
  } while (0)

#define GALIEN_CHECK(cond, stream_expr)                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::ostringstream galien_msg_;                                                     \
      galien_msg_ << stream_expr;                                                         \
      ::galien::detail::throw_check_failure(__FILE__, __LINE__, #cond, galien_msg_.str()); \
    }                                                                                     \
  } while (0)
