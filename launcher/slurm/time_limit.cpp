#include "launcher/slurm/time_limit.h"

#include <cstdio>
#include <vector>

namespace galien::slurm {
namespace {

// "12:30:00" -> {12, 30, 0}; nullopt on an empty or non-numeric field.
std::optional<std::vector<long>> fields(const std::string& text) {
  std::vector<long> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    const std::string part = text.substr(start, colon == std::string::npos ? colon : colon - start);
    if (part.empty() || part.size() > 6 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    values.push_back(std::stol(part));
    if (colon == std::string::npos) return values;
    start = colon + 1;
  }
}

}  // namespace

std::optional<long> parse_time_limit(const std::string& text) {
  long days = 0;
  std::string rest = text;
  const std::size_t dash = text.find('-');
  if (dash != std::string::npos) {
    auto day_field = fields(text.substr(0, dash));
    if (!day_field || day_field->size() != 1) return std::nullopt;
    days = day_field->front();
    rest = text.substr(dash + 1);
  }
  auto parts = fields(rest);
  if (!parts || parts->size() > 3) return std::nullopt;
  const std::vector<long>& v = *parts;
  long seconds = 0;
  if (dash != std::string::npos) {  // D-HH, D-HH:MM, D-HH:MM:SS
    seconds = v[0] * 3600 + (v.size() > 1 ? v[1] * 60 : 0) + (v.size() > 2 ? v[2] : 0);
  } else if (v.size() == 1) {  // MM
    seconds = v[0] * 60;
  } else if (v.size() == 2) {  // MM:SS
    seconds = v[0] * 60 + v[1];
  } else {  // HH:MM:SS
    seconds = v[0] * 3600 + v[1] * 60 + v[2];
  }
  seconds += days * 86400;
  if (seconds <= 0) return std::nullopt;
  return seconds;
}

std::string format_time_limit(long seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%02ld:%02ld:%02ld", seconds / 3600, seconds / 60 % 60,
                seconds % 60);
  return text;
}

}  // namespace galien::slurm
