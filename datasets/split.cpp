#include "datasets/split.h"

#include <array>
#include <cmath>
#include <random>
#include <unordered_map>

#include "core/error.h"
#include "core/random.h"

namespace galien {
namespace {

// Allocation order: the small splits first, so ties in remainders go to them.
constexpr std::array<const char*, 3> kSplits = {"val", "test", "train"};

struct Patient {
  std::int64_t label = 0;
  std::vector<std::int64_t> rows;
};

// Patients in order of their first CSV line.
std::vector<Patient> group_patients(const SplitInput& input) {
  std::unordered_map<std::string, std::size_t> index;
  std::vector<Patient> patients;
  for (std::size_t r = 0; r < input.pseudonyms.size(); ++r) {
    GALIEN_CHECK(
        input.labels[r] >= 0 && input.labels[r] < static_cast<std::int64_t>(input.num_classes),
        "label index " << input.labels[r] << " out of range");
    auto [it, inserted] = index.emplace(input.pseudonyms[r], patients.size());
    if (inserted) patients.push_back({input.labels[r], {}});
    Patient& patient = patients[it->second];
    if (patient.label != input.labels[r]) {
      GALIEN_USER_ERROR(input.source << ": lines " << input.lines[patient.rows.front()] << " and "
                                     << input.lines[r] << " belong to the same patient but have "
                                     << "different labels; a patient-level split needs one label"
                                     << " per patient: fix one of the rows");
    }
    patient.rows.push_back(static_cast<std::int64_t>(r));
  }
  return patients;
}

std::array<double, 3> checked_fractions(const DataConfig& config) {
  double val = config.val_fraction, test = config.test_fraction;
  if (!(val >= 0.0 && val < 1.0) || !(test >= 0.0 && test < 1.0) || val + test >= 1.0) {
    GALIEN_USER_ERROR("data.split.val (" << val << ") and data.split.test (" << test
                                         << ") must each be in [0, 1) and sum to less than 1");
  }
  if (config.shards < 1) GALIEN_USER_ERROR("data.shards is " << config.shards << ": use 1 or more");
  return {val, test, 1.0 - val - test};
}

// Largest-remainder apportionment of n patients: each count is within 1 of fraction x n.
std::array<std::size_t, 3> apportion(std::size_t n, const std::array<double, 3>& fractions) {
  std::array<std::size_t, 3> counts{};
  std::array<double, 3> remainders{};
  std::size_t assigned = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    double quota = fractions[k] * static_cast<double>(n);
    counts[k] = static_cast<std::size_t>(std::floor(quota));
    remainders[k] = quota - static_cast<double>(counts[k]);
    assigned += counts[k];
  }
  GALIEN_CHECK(assigned <= n, "apportionment overshoots " << n);
  for (; assigned < n; ++assigned) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < 3; ++k) {
      if (remainders[k] > remainders[best]) best = k;
    }
    ++counts[best];
    remainders[best] = -1.0;
  }
  return counts;
}

void add_patient(SplitPart& part, const Patient& patient, std::vector<std::int64_t>& rows) {
  ++part.num_patients;
  part.class_counts[static_cast<std::size_t>(patient.label)] +=
      static_cast<std::int64_t>(patient.rows.size());
  rows.insert(rows.end(), patient.rows.begin(), patient.rows.end());
}

std::string empty_split_advice(const std::string& name) {
  if (name == "train") return "lower data.split.val and data.split.test";
  return "raise data.split." + name + " or provide more patients";
}

// Deals the split's shuffled rows to shards in turn, so sizes differ by at most one.
void deal_to_shards(const std::string& name, std::vector<std::int64_t> rows, int num_shards,
                    std::mt19937_64& rng, SplitPart& part, std::size_t num_patients) {
  if (rows.empty()) {
    GALIEN_USER_ERROR("split '" << name << "' is empty: " << num_patients << " patients are too "
                                << "few for these fractions; " << empty_split_advice(name));
  }
  if (rows.size() < static_cast<std::size_t>(num_shards)) {
    GALIEN_USER_ERROR("split '" << name << "' has " << rows.size() << " samples but data.shards is "
                                << num_shards << ": every shard needs a sample; lower data.shards"
                                << " or " << empty_split_advice(name));
  }
  deterministic_shuffle(rows, rng);
  part.shards.assign(static_cast<std::size_t>(num_shards), {});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    part.shards[i % static_cast<std::size_t>(num_shards)].push_back(rows[i]);
  }
}

}  // namespace

std::vector<std::int64_t> SplitPart::rows() const {
  std::vector<std::int64_t> all;
  for (const auto& shard : shards) all.insert(all.end(), shard.begin(), shard.end());
  return all;
}

std::map<std::string, SplitPart> split_dataset(const SplitInput& input, const DataConfig& config) {
  GALIEN_CHECK(
      input.pseudonyms.size() == input.labels.size() && input.lines.size() == input.labels.size(),
      "split input columns differ in length");
  std::array<double, 3> fractions = checked_fractions(config);
  std::vector<Patient> patients = group_patients(input);
  std::mt19937_64 rng(config.split_seed);
  std::array<SplitPart, 3> parts;
  std::array<std::vector<std::int64_t>, 3> rows;
  for (SplitPart& part : parts) part.class_counts.assign(input.num_classes, 0);
  for (std::size_t c = 0; c < input.num_classes; ++c) {
    std::vector<const Patient*> members;
    for (const Patient& p : patients) {
      if (p.label == static_cast<std::int64_t>(c)) members.push_back(&p);
    }
    deterministic_shuffle(members, rng);
    std::array<std::size_t, 3> counts = apportion(members.size(), fractions);
    std::size_t next = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t i = 0; i < counts[k]; ++i) add_patient(parts[k], *members[next++], rows[k]);
    }
  }
  std::map<std::string, SplitPart> result;
  for (std::size_t k = 0; k < 3; ++k) {
    deal_to_shards(kSplits[k], std::move(rows[k]), config.shards, rng, parts[k], patients.size());
    result[kSplits[k]] = std::move(parts[k]);
  }
  return result;
}

}  // namespace galien
