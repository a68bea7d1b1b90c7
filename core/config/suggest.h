// "Did you mean ...?" for names a user typed: config keys, enum values, and anything else where
// a typo should get the nearest valid spelling instead of a bare "unknown".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace galien {

// Levenshtein distance: insertions, deletions and substitutions each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if near enough to be a likely typo: distance at most
// max(2, word.size() / 3). Ties go to the earliest candidate, so callers control preference by
// order. nullopt when nothing is that close; callers then list the valid names instead.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace galien
