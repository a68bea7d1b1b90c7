#include "core/error.h"

namespace galien::detail {

void throw_check_failure(const char* file, int line, const char* expr, const std::string& message) {
  std::ostringstream out;
  out << file << ":" << line << ": check failed (" << expr << ")";
  if (!message.empty()) out << ": " << message;
  throw InternalError(out.str());
}

}  // namespace galien::detail
