// Generalisations that coarsen quasi-identifiers before release, written "column=rule":
//   age=bands:10          number -> lower bound of its 10-wide band (34 -> 30)
//   postcode=digits:2     code -> its first 2 characters (75013 -> 75, the French departement)
//   admission_date=month  ISO date -> first day of its month (2021-03-17 -> 2021-03-01)
//   admission_date=year   ISO date -> 1 January of its year
// Generalised dates stay ISO dates, so date handling downstream is the same for every rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace galien {

struct Generalisation {
  enum class Kind { kBands, kDigits, kMonth, kYear };
  std::string column;
  Kind kind = Kind::kBands;
  int parameter = 0;  // band width (bands) or characters kept (digits); unused for dates

  std::string text() const;  // "age=bands:10", as parse_generalisation reads it
  bool is_date() const { return kind == Kind::kMonth || kind == Kind::kYear; }
};

// Throws UserError naming `where` ("privacy.generalise", "--generalise") and the expected form.
Generalisation parse_generalisation(std::string_view spec, const std::string& where);
// Also refuses two rules for one column.
std::vector<Generalisation> parse_generalisations(const std::vector<std::string>& specs,
                                                  const std::string& where);
// "a,b , c" -> {"a", "b", "c"}; empty items are dropped.
std::vector<std::string> split_comma_list(std::string_view text);

// The generalised value, or nullopt when `value` is not a finite number (bands) or not an ISO
// date (month, year). The caller keeps missing values as they are and names file:line on nullopt.
std::optional<std::string> generalise_value(const Generalisation& rule, std::string_view value);

// The next coarser rule for `column` than `current` (none yet when nullopt), judged from the
// shape of its non-missing values: dates day -> month -> year, numbers bands 5 -> 10 -> 20 -> 50
// -> 100, equal-length codes digits n-1 -> ... -> 1. nullopt when nothing coarser applies (sex).
std::optional<Generalisation> coarser_generalisation(const std::string& column,
                                                     const std::optional<Generalisation>& current,
                                                     const std::vector<std::string>& values);

}  // namespace galien
