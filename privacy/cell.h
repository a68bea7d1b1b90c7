// What privacy code needs to know about one CSV cell. Mirrors datasets/tabular.cpp's rules (a
// missing value is empty, NA, NaN or null after trimming) so both sides agree on what is missing.
#pragma once

#include <cctype>
#include <string_view>

namespace galien {

inline std::string_view trim_cell(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

inline bool is_missing_cell(std::string_view text) {
  text = trim_cell(text);
  return text.empty() || text == "NA" || text == "NaN" || text == "null";
}

}  // namespace galien
