#include "privacy/free_text.h"

#include <cctype>

#include "privacy/cell.h"

namespace galien {

bool looks_like_free_text(std::string_view value) {
  value = trim_cell(value);
  int words = 0;
  bool in_word = false;
  for (char c : value) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words >= kFreeTextWords || (words >= 2 && value.size() >= kFreeTextChars);
}

}  // namespace galien
