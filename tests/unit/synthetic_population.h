// A seeded synthetic patient population for privacy tests: no real person, reproducible on any
// standard library (only the mt19937_64 engine's raw output is used, never a distribution).
//
// 200 patients in 16 cells: age decade {40s, 50s} x sex {F, M} x departement {75, 69} x
// admission month {2021-03, 2021-04}. Exact values (age in years, 5-digit postcode, admission
// day) make nearly every patient unique (k = 1); age=bands:10, postcode=digits:2 and
// admission_date=month bring every cell back together (k = 12).
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace galien::testing {

struct SyntheticPatient {
  std::string id, name, sex, postcode, admission, discharge;
  int age = 0;
  int outcome = 0;
  double lab = 0;
};

inline std::vector<SyntheticPatient> synthetic_population(int count = 200,
                                                          std::uint64_t seed = 20240611) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  std::vector<SyntheticPatient> patients;
  char text[64];
  for (int i = 0; i < count; ++i) {
    const int cell = i % 16;
    SyntheticPatient p;
    std::snprintf(text, sizeof text, "PAT-%05d", 10000 + 37 * i);
    p.id = text;
    p.name = "Synthetic Person " + std::to_string(i);
    p.age = (cell & 1 ? 50 : 40) + pick(10);
    p.sex = cell & 2 ? "M" : "F";
    std::snprintf(text, sizeof text, "%s%03d", cell & 4 ? "69" : "75", pick(1000));
    p.postcode = text;
    const int month = cell & 8 ? 4 : 3;
    const int day = 1 + pick(28);
    std::snprintf(text, sizeof text, "2021-%02d-%02d", month, day);
    p.admission = text;
    std::snprintf(text, sizeof text, "2021-%02d-%02d", month + 1, 1 + pick(28));
    p.discharge = text;
    p.outcome = pick(2);
    p.lab = 3.0 + pick(4000) / 1000.0;
    patients.push_back(p);
  }
  return patients;
}

// Whether `value` appears in `text`. An all-digit value (a postcode) must be a whole token
// (a maximal run of letters and digits), so that it is not "found" inside a random SHA-256.
inline bool mentions(const std::string& text, const std::string& value) {
  const bool digits = value.find_first_not_of("0123456789") == std::string::npos;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t at = text.find(value); at != std::string::npos;
       at = text.find(value, at + 1)) {
    const std::size_t end = at + value.size();
    if (!digits || ((at == 0 || !alnum(text[at - 1])) && (end == text.size() || !alnum(text[end]))))
      return true;
  }
  return false;
}

// patient_id,name,age,sex,postcode,admission_date,discharge_date,lab,outcome
inline std::string synthetic_csv(const std::vector<SyntheticPatient>& patients) {
  std::string csv = "patient_id,name,age,sex,postcode,admission_date,discharge_date,lab,outcome\n";
  for (const SyntheticPatient& p : patients) {
    csv += p.id + "," + p.name + "," + std::to_string(p.age) + "," + p.sex + "," + p.postcode +
           "," + p.admission + "," + p.discharge + "," + std::to_string(p.lab) + "," +
           std::to_string(p.outcome) + "\n";
  }
  return csv;
}

}  // namespace galien::testing
