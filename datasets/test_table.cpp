#include "datasets/test_table.h"

#include <filesystem>
#include <unordered_map>

#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "datasets/csv.h"
#include "datasets/privacy_step.h"
#include "privacy/pseudonym.h"

namespace galien {

TestTable read_test_table(const Config& config, const EncodedTable& main, const SecretKey& key) {
  const DataConfig& data = config.data;
  TestTable test;
  test.policy = std::make_unique<PseudonymisationPolicy>(config, key);
  const Pseudonymizer pseudonymize(key);
  // One read serves both the hash and the parse, as for data.csv.
  const std::string text = read_file(data.test_csv);
  test.sha256 = sha256_hex(text);
  test.table = encode_test_table(apply_privacy_policy(*test.policy, parse_csv(text, data.test_csv),
                                                      data, pseudonymize,
                                                      test_key_namespace(data)),
                                 data, main);
  test.policy->gate(test.table.lines, data.shard_dir);
  test.pseudonyms.reserve(test.table.num_rows());
  for (const std::string& patient_key : test.table.patient_keys)
    test.pseudonyms.push_back(pseudonymize(patient_key));
  test.table.patient_keys.clear();  // raw keys go no further
  return test;
}

void check_disjoint_patients(const EncodedTable& main,
                             const std::vector<std::string>& main_pseudonyms,
                             const TestTable& test, const DataConfig& config) {
  std::unordered_map<std::string, std::int64_t> first_line;
  for (std::size_t r = 0; r < main_pseudonyms.size(); ++r)
    first_line.emplace(main_pseudonyms[r], main.lines[r]);
  for (std::size_t r = 0; r < test.pseudonyms.size(); ++r) {
    auto it = first_line.find(test.pseudonyms[r]);
    if (it == first_line.end()) continue;
    const bool separate = config.test_patients == "separate";
    GALIEN_USER_ERROR(test.table.source << ":" << test.table.lines[r] << " and " << main.source
                      << ":" << it->second << " have the same patient "
                      << (separate ? "key" : "ID") << " (column '"
                      << config.patient_id_column.value_or("") << "'), but the patients of "
                      << "data.test_csv must not be in data.csv: "
                      << (separate ? "an ID of data.csv reads like 'test:' + an ID of "
                                     "data.test_csv; rename one of them"
                                   : "remove them from one table, or, if the two tables number "
                                     "different patients independently, set "
                                     "data.test_patients: separate"));
  }
}

TestTableInfo test_table_info(const Config& config, const TestTable& test) {
  TestTableInfo info;
  info.file = std::filesystem::path(config.data.test_csv).filename().string();
  info.sha256 = test.sha256;
  info.rows = test.table.source_rows;
  info.rejected_rows = test.table.rejected_rows;
  info.patients = config.data.test_patients;
  return info;
}

}  // namespace galien
