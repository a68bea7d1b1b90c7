// `galien audit` and `galien audit verify-log` through the real executable, and the audit log
// that `galien shard` keeps, on a seeded synthetic population (never real people).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../unit/synthetic_population.h"

namespace {

const std::string kGalien = GALIEN_EXECUTABLE;

struct Output {
  int code;
  std::string text;
};

Output run(const std::string& args) {
  std::string command = kGalien + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const std::string& line : lines) out << line << "\n";
}

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::string(GALIEN_TEST_TMP) + "/e2e-audit/" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    csv = dir + "/stays.csv";
    std::ofstream(csv) << galien::testing::synthetic_csv(patients);
  }
  // Nothing that singles out a synthetic patient may be printed.
  void expect_no_values(const std::string& text) const {
    for (const auto& p : patients) {
      for (const std::string& value : {p.id, p.name, p.postcode, p.admission})
        ASSERT_FALSE(galien::testing::mentions(text, value)) << value << " printed:\n" << text;
    }
  }
  std::string dir, csv;
  std::vector<galien::testing::SyntheticPatient> patients = galien::testing::synthetic_population();
};

TEST_F(AuditCli, UniqueRecordsFailWithExitCode3AndASuggestion) {
  Output out = run("audit " + csv + " --quasi-identifiers age,sex,postcode,admission_date");
  EXPECT_EQ(out.code, 3) << out.text;
  EXPECT_NE(out.text.find("fails: k = 1"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("generalise further"), std::string::npos) << out.text;
  expect_no_values(out.text);
}

TEST_F(AuditCli, GeneralisedQuasiIdentifiersPass) {
  Output out = run("audit " + csv + " -q age,sex,postcode,admission_date --patient-id patient_id"
                   " --generalise age=bands:10,postcode=digits:2,admission_date=month");
  EXPECT_EQ(out.code, 0) << out.text;
  EXPECT_NE(out.text.find("passes: k = 12 >= k_min = 5"), std::string::npos) << out.text;
  expect_no_values(out.text);

  Output strict = run("audit " + csv + " -q age,sex,postcode,admission_date --k-min 13"
                      " --generalise age=bands:10,postcode=digits:2,admission_date=month --json");
  EXPECT_EQ(strict.code, 3) << strict.text;
  auto json = nlohmann::json::parse(strict.text);
  EXPECT_EQ(json["before"]["k"], 1);
  EXPECT_EQ(json["after"]["k"], 12);
  EXPECT_EQ(json["passes"], false);
}

TEST_F(AuditCli, BadArgumentsExitWith2) {
  Output unknown = run("audit " + csv + " -q age,zip");
  EXPECT_EQ(unknown.code, 2) << unknown.text;
  EXPECT_NE(unknown.text.find("'zip'"), std::string::npos) << unknown.text;
  Output bad_rule = run("audit " + csv + " -q age --generalise age=decades");
  EXPECT_EQ(bad_rule.code, 2) << bad_rule.text;
  Output not_quasi = run("audit " + csv + " -q age --generalise postcode=digits:2");
  EXPECT_EQ(not_quasi.code, 2) << not_quasi.text;
  Output bad_date = run("audit " + csv + " -q sex,name --generalise name=month");
  EXPECT_EQ(bad_date.code, 2) << bad_date.text;
  EXPECT_NE(bad_date.text.find(csv + ":2"), std::string::npos) << bad_date.text;
  expect_no_values(bad_date.text);
}

TEST_F(AuditCli, ShardRefusesThenWritesAndTheLogCatchesTampering) {
  ASSERT_EQ(run("keygen " + dir + "/study.key").code, 0);
  const std::string config = dir + "/study.yaml";
  std::ofstream(config) << "data:\n  csv: " << csv << "\n  patient_id: patient_id\n"
                        << "  label: outcome\n  numeric: [age, lab]\n"
                        << "  categorical: [sex, postcode]\n"
                        << "  dates: [admission_date, discharge_date]\n  drop: [name]\n"
                        << "  shard_dir: " << dir << "/shards\n  shards: 1\n"
                        << "privacy:\n  key_file: " << dir << "/study.key\n"
                        << "  quasi_identifiers: [age, sex, postcode, admission_date]\n";
  Output refused = run("shard " + config);
  EXPECT_EQ(refused.code, 2) << refused.text;
  EXPECT_NE(refused.text.find("re-identification risk gate refused"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/shards/manifest.json"));
  expect_no_values(refused.text);

  const std::string generalise =
      " 'privacy.generalise=[age=bands:10, postcode=digits:2, admission_date=month]'";
  Output first = run("shard " + config + generalise);
  ASSERT_EQ(first.code, 0) << first.text;
  Output second = run("shard " + config + generalise + " --overwrite");
  ASSERT_EQ(second.code, 0) << second.text;
  EXPECT_TRUE(std::filesystem::exists(dir + "/shards/privacy_report.md"));

  const std::string log = dir + "/shards/audit.jsonl";
  Output intact = run("audit verify-log " + log);
  EXPECT_EQ(intact.code, 0) << intact.text;
  EXPECT_NE(intact.text.find("2 entries, hash chain intact"), std::string::npos) << intact.text;
  const std::size_t at = intact.text.find("head ");
  ASSERT_NE(at, std::string::npos) << intact.text;
  const std::string head = intact.text.substr(at + 5, 64);
  EXPECT_EQ(run("audit verify-log " + log + " --expect-head " + head).code, 0);

  std::vector<std::string> lines = lines_of(log);
  ASSERT_EQ(lines.size(), 2u);
  std::string edited = lines[0];
  edited.replace(edited.find("\"shards_created\""), 16, "\"shards_deleted\"");
  write_lines(log, {edited, lines[1]});
  Output broken = run("audit verify-log " + log);
  EXPECT_EQ(broken.code, 3) << broken.text;
  EXPECT_NE(broken.text.find(log + ":2: broken"), std::string::npos) << broken.text;
  EXPECT_NE(broken.text.find("line 1 was edited"), std::string::npos) << broken.text;

  write_lines(log, {lines[1]});  // the first entry deleted
  Output deleted = run("audit verify-log " + log);
  EXPECT_EQ(deleted.code, 3) << deleted.text;
  EXPECT_NE(deleted.text.find(log + ":1: broken"), std::string::npos) << deleted.text;

  // Cutting off the tail keeps a valid chain: only a head kept elsewhere reveals it.
  write_lines(log, {lines[0]});
  EXPECT_EQ(run("audit verify-log " + log).code, 0);
  Output cut = run("audit verify-log " + log + " --expect-head " + head);
  EXPECT_EQ(cut.code, 3) << cut.text;
  EXPECT_NE(cut.text.find("head differs"), std::string::npos) << cut.text;
}

}  // namespace
