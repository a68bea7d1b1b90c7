// Calendar dates as whole days since 1970-01-01 (proleptic Gregorian), the one representation
// privacy code computes with: ISO YYYY-MM-DD in, days out; month and year generalisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace galien {

// Days since 1970-01-01 of a valid calendar date (1 <= month <= 12, day within the month).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

struct CivilDate {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
CivilDate civil_from_days(std::int64_t days);

// Strict ISO 8601 calendar date "YYYY-MM-DD" (surrounding spaces allowed); nullopt for anything
// else, including impossible dates such as 2023-02-29.
std::optional<std::int64_t> parse_iso_date(std::string_view text);
std::string format_iso_date(std::int64_t days);

// First day of the month / year holding `days`.
std::int64_t month_start(std::int64_t days);
std::int64_t year_start(std::int64_t days);

}  // namespace galien
