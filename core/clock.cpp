#include "core/clock.h"

#include <ctime>

namespace galien {
namespace {

std::string utc_now_formatted(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

}  // namespace

std::string utc_now_iso8601() { return utc_now_formatted("%Y-%m-%dT%H:%M:%SZ"); }
std::string utc_now_compact() { return utc_now_formatted("%Y%m%d-%H%M%S"); }

}  // namespace galien
