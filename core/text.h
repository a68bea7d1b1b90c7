// Small text helpers shared by messages, tables and reports.
#pragma once

#include <string>
#include <vector>

namespace galien {

// `value` with exactly `digits` decimals ("%.*f"): 0.97715 -> "0.9772" for 4.
std::string fixed(double value, int digits);

// "a, b, c" (for lists of keys, columns, profiles in messages).
std::string joined(const std::vector<std::string>& items);

}  // namespace galien
