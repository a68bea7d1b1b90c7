// Free text (clinical notes, comments) can hold names, addresses and dates that no column rule
// catches, and a categorical column's values become feature names in manifest.json. So a
// categorical value that reads like prose is refused unless the column is explicitly allowed.
#pragma once

#include <string_view>

namespace galien {

// Prose rather than a category label: at least kFreeTextWords words, or a space within a value
// of at least kFreeTextChars characters. "Type 2 diabetes" is a label; a sentence is not.
constexpr int kFreeTextWords = 5;
constexpr std::size_t kFreeTextChars = 40;
bool looks_like_free_text(std::string_view value);

}  // namespace galien
