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
  std::int64_t label = 0;         // the stratum: the class the patient's split is balanced on
  std::vector<std::int64_t> rows;
};

// A patient's rows may be samples with labels of their own (visits, both eyes, several lesions):
// the patient is stratified on its most frequent class (the lower index on a tie), or, with
// `stratify_on_any` (survival: label = event), on whether any of its rows is 1.
std::int64_t stratum_of(const Patient& patient, const SplitInput& input) {
  std::vector<std::int64_t> counts(input.num_classes, 0);
  for (std::int64_t r : patient.rows) ++counts[static_cast<std::size_t>(input.labels[r])];
  if (input.stratify_on_any) {
    for (std::size_t c = input.num_classes; c-- > 1;)
      if (counts[c] > 0) return static_cast<std::int64_t>(c);
    return 0;
  }
  std::size_t best = 0;
  for (std::size_t c = 1; c < counts.size(); ++c)
    if (counts[c] > counts[best]) best = c;
  return static_cast<std::int64_t>(best);
}

// Patients in order of their first CSV line.
std::vector<Patient> group_patients(const SplitInput& input) {
  std::unordered_map<std::string, std::size_t> index;
  std::vector<Patient> patients;
  for (std::size_t r = 0; r < input.pseudonyms.size(); ++r) {
    GALIEN_CHECK(
        input.labels[r] >= 0 && input.labels[r] < static_cast<std::int64_t>(input.num_classes),
        "label index " << input.labels[r] << " out of range");
    auto [it, inserted] = index.emplace(input.pseudonyms[r], patients.size());
    if (inserted) patients.emplace_back();
    patients[it->second].rows.push_back(static_cast<std::int64_t>(r));
  }
  for (Patient& patient : patients) patient.label = stratum_of(patient, input);
  return patients;
}

std::array<double, 3> checked_fractions(const DataConfig& config) {
  double val = config.val_fraction, test = config.test_fraction;
  if (!(val >= 0.0 && val < 1.0) || !(test >= 0.0 && test < 1.0) || val + test >= 1.0) {
    GALIEN_USER_ERROR("data.split.val (" << val << ") and data.split.test (" << test
                                         << ") must each be in [0, 1) and sum to less than 1");
  }
  if (config.shards < 1) GALIEN_USER_ERROR("data.shards is " << config.shards << ": use 1 or more");
  const int folds = config.cv_folds;
  if (folds < 0 || folds == 1)
    GALIEN_USER_ERROR("cv.folds is " << folds << ": use 0 (no cross-validation) or 2 or more");
  if (folds >= 2) {
    if (test != 0)
      GALIEN_USER_ERROR("data.split.test is " << test << " but with cv.folds the test split is "
                                              << "fold cv.fold: set data.split.test: 0");
    if (config.cv_fold < 0 || config.cv_fold >= folds)
      GALIEN_USER_ERROR("cv.fold is " << config.cv_fold << ": use a fold in [0, " << folds << ")");
    if (config.cv_repeats < 1 || config.cv_repeat < 0 || config.cv_repeat >= config.cv_repeats)
      GALIEN_USER_ERROR("cv.repeat is " << config.cv_repeat << ": use a repeat in [0, "
                                        << config.cv_repeats << ") (cv.repeats)");
  }
  return {val, test, 1.0 - val - test};
}

// Largest-remainder apportionment of n patients: each count is within 1 of fraction x n, and a
// split whose fraction is 0 gets none.
std::array<std::size_t, 3> apportion(std::size_t n, const std::array<double, 3>& fractions) {
  std::array<std::size_t, 3> counts{};
  std::array<double, 3> remainders{};
  std::size_t assigned = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    double quota = fractions[k] * static_cast<double>(n);
    counts[k] = static_cast<std::size_t>(std::floor(quota));
    remainders[k] = fractions[k] == 0.0 ? -1.0 : quota - static_cast<double>(counts[k]);
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

// Every row of the patient goes with it; class counts are of the rows (samples), each its own.
void add_patient(SplitPart& part, const Patient& patient, std::vector<std::int64_t>& rows,
                 const SplitInput& input) {
  ++part.num_patients;
  for (std::int64_t r : patient.rows) ++part.class_counts[static_cast<std::size_t>(input.labels[r])];
  rows.insert(rows.end(), patient.rows.begin(), patient.rows.end());
}

std::string empty_split_advice(const std::string& name, const DataConfig& config) {
  const bool cv = config.cv_folds >= 2;
  if (name == "train") return cv ? "lower data.split.val" : "lower data.split.val and data.split.test";
  if (name == "test" && cv) return "lower cv.folds or provide more patients";
  if (name == "test" && !config.test_csv.empty()) return "check data.test_csv";
  return "raise data.split." + name + " or provide more patients";
}

// Deals the split's shuffled rows to shards in turn, so sizes differ by at most one.
void deal_to_shards(const std::string& name, std::vector<std::int64_t> rows,
                    const DataConfig& config, std::mt19937_64& rng, SplitPart& part,
                    std::size_t num_patients) {
  const int num_shards = config.shards;
  if (rows.empty()) {
    GALIEN_USER_ERROR("split '" << name << "' is empty: " << num_patients << " patients are too "
                                << "few for these fractions; " << empty_split_advice(name, config));
  }
  if (rows.size() < static_cast<std::size_t>(num_shards)) {
    GALIEN_USER_ERROR("split '" << name << "' has " << rows.size() << " samples but data.shards is "
                                << num_shards << ": every shard needs a sample; lower data.shards"
                                << " or " << empty_split_advice(name, config));
  }
  deterministic_shuffle(rows, rng);
  part.shards.assign(static_cast<std::size_t>(num_shards), {});
  for (std::size_t i = 0; i < rows.size(); ++i) {
    part.shards[i % static_cast<std::size_t>(num_shards)].push_back(rows[i]);
  }
}

// Val, test and train patients -> the result. A val or test split whose `present` is false has
// no patients and is left out (data.split.val or data.split.test is 0).
std::map<std::string, SplitPart> deal_splits(std::array<SplitPart, 3>& parts,
                                             std::array<std::vector<std::int64_t>, 3>& rows,
                                             const std::array<bool, 3>& present,
                                             const DataConfig& config, std::mt19937_64& rng,
                                             std::size_t num_patients) {
  std::map<std::string, SplitPart> result;
  for (std::size_t k = 0; k < 3; ++k) {
    if (!present[k]) {
      GALIEN_CHECK(rows[k].empty(), "split " << kSplits[k] << " has rows but a zero fraction");
      continue;
    }
    deal_to_shards(kSplits[k], std::move(rows[k]), config, rng, parts[k], num_patients);
    result[kSplits[k]] = std::move(parts[k]);
  }
  return result;
}

std::vector<const Patient*> patients_of_class(const std::vector<Patient>& patients,
                                              std::size_t c) {
  std::vector<const Patient*> members;
  for (const Patient& p : patients) {
    if (p.label == static_cast<std::int64_t>(c)) members.push_back(&p);
  }
  return members;
}

// Stream tags for mix_seed: cross-validation and the test table draw from sequences of their own.
constexpr std::uint64_t kFoldStream = 0x63762d666f6c6473;       // "cv-folds"
constexpr std::uint64_t kTestTableStream = 0x746573742d637376;  // "test-csv"

std::map<std::string, SplitPart> cross_validation_split(const SplitInput& input,
                                                        const DataConfig& config,
                                                        const std::vector<Patient>& patients) {
  const auto folds = static_cast<std::size_t>(config.cv_folds);
  const auto test_fold = static_cast<std::size_t>(config.cv_fold);
  const std::array<double, 3> rest_fractions = {config.val_fraction, 0.0,
                                                1.0 - config.val_fraction};
  std::array<SplitPart, 3> parts;
  std::array<std::vector<std::int64_t>, 3> rows;
  for (SplitPart& part : parts) part.class_counts.assign(input.num_classes, 0);
  // The folds depend on the seed and the repeat only: every cv.fold sees the same assignment.
  std::mt19937_64 fold_rng(mix_seed(config.split_seed, kFoldStream,
                                    static_cast<std::uint64_t>(config.cv_repeat)));
  // Val (among the other folds) and the shard order: per fold.
  std::mt19937_64 rng(mix_seed(config.split_seed, kFoldStream + 1 + config.cv_repeat,
                               static_cast<std::uint64_t>(config.cv_fold)));
  std::size_t position = 0;  // runs across classes, so fold sizes differ by at most one
  for (std::size_t c = 0; c < input.num_classes; ++c) {
    std::vector<const Patient*> members = patients_of_class(patients, c);
    deterministic_shuffle(members, fold_rng);
    std::vector<const Patient*> rest;
    for (const Patient* p : members) {
      if (position++ % folds == test_fold) {
        add_patient(parts[1], *p, rows[1], input);
      } else {
        rest.push_back(p);
      }
    }
    deterministic_shuffle(rest, rng);
    std::array<std::size_t, 3> counts = apportion(rest.size(), rest_fractions);
    std::size_t next = 0;
    for (std::size_t k : {std::size_t{0}, std::size_t{2}}) {
      for (std::size_t i = 0; i < counts[k]; ++i) add_patient(parts[k], *rest[next++], rows[k], input);
    }
  }
  return deal_splits(parts, rows, {config.val_fraction > 0, true, true}, config, rng,
                     patients.size());
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
  if (config.cv_folds >= 2) return cross_validation_split(input, config, patients);
  std::mt19937_64 rng(config.split_seed);
  std::array<SplitPart, 3> parts;
  std::array<std::vector<std::int64_t>, 3> rows;
  for (SplitPart& part : parts) part.class_counts.assign(input.num_classes, 0);
  for (std::size_t c = 0; c < input.num_classes; ++c) {
    std::vector<const Patient*> members = patients_of_class(patients, c);
    deterministic_shuffle(members, rng);
    std::array<std::size_t, 3> counts = apportion(members.size(), fractions);
    std::size_t next = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t i = 0; i < counts[k]; ++i) add_patient(parts[k], *members[next++], rows[k], input);
    }
  }
  return deal_splits(parts, rows, {fractions[0] > 0, fractions[1] > 0, true}, config, rng,
                     patients.size());
}

SplitPart split_whole(const SplitInput& input, const DataConfig& config, const std::string& name) {
  GALIEN_CHECK(
      input.pseudonyms.size() == input.labels.size() && input.lines.size() == input.labels.size(),
      "split input columns differ in length");
  if (config.shards < 1) GALIEN_USER_ERROR("data.shards is " << config.shards << ": use 1 or more");
  std::vector<Patient> patients = group_patients(input);
  SplitPart part;
  part.class_counts.assign(input.num_classes, 0);
  std::vector<std::int64_t> rows;
  for (const Patient& p : patients) add_patient(part, p, rows, input);
  std::mt19937_64 rng(mix_seed(config.split_seed, kTestTableStream));
  deal_to_shards(name, std::move(rows), config, rng, part, patients.size());
  return part;
}

}  // namespace galien
