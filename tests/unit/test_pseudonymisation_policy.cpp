// The pseudonymisation policy of `galien shard`: dates, free text, generalisation and the
// re-identification risk gate, on the seeded synthetic population of synthetic_population.h.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/config/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "datasets/csv.h"
#include "datasets/privacy_step.h"
#include "datasets/shard_pipeline.h"
#include "privacy/audit_log.h"
#include "privacy/date_shift.h"
#include "privacy/dates.h"
#include "privacy/free_text.h"
#include "privacy/key_file.h"
#include "tests/unit/synthetic_population.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;


using test::user_error_of;

std::string scratch(const std::string& name) {
  std::string dir = std::string(GALIEN_TEST_TMP) + "/policy/" + name;
  fs::remove_all(dir);
  make_directories(dir);
  return dir;
}

// A directory with the synthetic table, a key and a config; `extra` is appended to the privacy
// section (indented by the caller).
struct Study {
  std::string dir, csv, key, config;
  std::vector<testing::SyntheticPatient> patients = testing::synthetic_population();

  Study(const std::string& name, const std::string& privacy_extra, const std::string& csv_text = "")
      : dir(scratch(name)), csv(dir + "/stays.csv"), key(dir + "/study.key"),
        config(dir + "/study.yaml") {
    std::ofstream(csv) << (csv_text.empty() ? testing::synthetic_csv(patients) : csv_text);
    generate_key_file(key);
    std::ofstream(config) << "data:\n  csv: " << csv << "\n  patient_id: patient_id\n"
                          << "  label: outcome\n  numeric: [age, lab]\n"
                          << "  categorical: [sex, postcode]\n"
                          << "  dates: [admission_date, discharge_date]\n  drop: [name]\n"
                          << "  shard_dir: " << dir << "/shards\n  shards: 1\n"
                          << "privacy:\n  key_file: " << key << "\n" << privacy_extra;
  }
  Config load(const std::vector<std::string>& overrides = {}) const {
    return load_config(config, overrides);
  }
  std::string shard_dir() const { return dir + "/shards"; }
};

const char* kQuasi = "  quasi_identifiers: [age, sex, postcode, admission_date]\n";
const char* kGeneralise =
    "  generalise: [age=bands:10, postcode=digits:2, admission_date=month]\n";

// Everything that could single out a synthetic patient, to look for in outputs.
std::vector<std::string> identifying_values(const std::vector<testing::SyntheticPatient>& ps) {
  std::vector<std::string> values;
  for (const auto& p : ps) {
    values.insert(values.end(), {p.id, p.name, p.postcode, p.admission, p.discharge});
  }
  return values;
}

void expect_none_of(const std::string& text, const std::vector<std::string>& values,
                    const std::string& where) {
  for (const std::string& value : values)
    ASSERT_FALSE(testing::mentions(text, value)) << "'" << value << "' found in " << where;
}

// `csv` with `from` replaced by `to` in the row of patient `id`.
std::string replace_in_row(std::string csv, const std::string& id, const std::string& from,
                           const std::string& to) {
  const std::size_t row = csv.find("\n" + id + ",");
  const std::size_t at = csv.find(from, row);
  EXPECT_TRUE(row != std::string::npos && at < csv.find('\n', row + 1)) << id << " " << from;
  return csv.replace(at, from.size(), to);
}

// The policy applied to a CSV as `galien shard` does, returning the rewritten table.
CsvTable apply_policy(const Config& config, const std::string& csv_text) {
  SecretKey key = load_key_file(config.privacy.key_file);
  PseudonymisationPolicy policy(config, key);
  return apply_privacy_policy(policy, parse_csv(csv_text, config.data.csv), config.data,
                              Pseudonymizer(key));
}

// ------------------------------------------------------------------------------- dates

TEST(Dates, IsoDatesParseStrictly) {
  EXPECT_EQ(parse_iso_date("1970-01-01"), 0);
  EXPECT_EQ(parse_iso_date(" 1970-01-02 "), 1);
  EXPECT_EQ(parse_iso_date("1969-12-31"), -1);
  EXPECT_EQ(parse_iso_date("2000-03-01").value() - parse_iso_date("2000-02-28").value(), 2);
  EXPECT_TRUE(parse_iso_date("2024-02-29"));
  for (const char* bad : {"2023-02-29", "1900-02-29", "2021-13-01", "2021-04-31", "2021-1-5",
                          "17/03/2021", "2021-03-17T10:00", "", "abcd-ef-gh"}) {
    EXPECT_FALSE(parse_iso_date(bad)) << bad;
  }
  for (std::int64_t days = -719000; days <= 2900000; days += 997)  // years 1..9909
    EXPECT_EQ(parse_iso_date(format_iso_date(days)), days);
  EXPECT_EQ(format_iso_date(month_start(*parse_iso_date("2021-03-17"))), "2021-03-01");
  EXPECT_EQ(format_iso_date(year_start(*parse_iso_date("2021-03-17"))), "2021-01-01");
}

TEST(DateShift, OffsetIsKeyedStableAndWithinRange) {
  std::string dir = scratch("shift");
  generate_key_file(dir + "/a");
  generate_key_file(dir + "/b");
  DateShifter a(load_key_file(dir + "/a"), 365), b(load_key_file(dir + "/b"), 365);
  int lowest = 0, highest = 0, same_in_b = 0;
  std::set<int> distinct;
  for (int i = 0; i < 2000; ++i) {
    const std::string pseudonym = "pseudonym-" + std::to_string(i);
    const int offset = a.offset_days(pseudonym);
    EXPECT_EQ(offset, a.offset_days(pseudonym));
    lowest = std::min(lowest, offset), highest = std::max(highest, offset);
    distinct.insert(offset);
    same_in_b += offset == b.offset_days(pseudonym);
  }
  EXPECT_GE(lowest, -365);
  EXPECT_LE(highest, 365);
  EXPECT_LT(lowest, -330);  // both ends of the range are reached
  EXPECT_GT(highest, 330);
  EXPECT_GT(distinct.size(), 500u);
  EXPECT_LT(same_in_b, 30);  // another key, other offsets (chance agreement is 1 in 731)
}

TEST(DatePolicy, ShiftKeepsIntervalsAndIsTheSameForAPatientInEveryTable) {
  Study study("shift_policy", "");
  Config config = study.load();
  CsvTable stays = apply_policy(config, read_file(study.csv));
  // A second table of the same patients (another export): same shift per patient.
  const std::string second_csv = study.dir + "/labs.csv";
  std::string labs = "patient_id,name,age,sex,postcode,admission_date,discharge_date,lab,outcome\n";
  for (const auto& p : study.patients)
    labs += p.id + ",x,50,F,75001,2022-01-10,2022-01-20,4.0,1\n";
  std::ofstream(second_csv) << labs;
  config.data.csv = second_csv;
  CsvTable lab_table = apply_policy(config, labs);

  std::set<std::int64_t> offsets;
  for (std::size_t r = 0; r < study.patients.size(); ++r) {
    const auto& p = study.patients[r];
    const std::int64_t admission = std::stoll(stays.rows[r].fields[5]);
    const std::int64_t discharge = std::stoll(stays.rows[r].fields[6]);
    const std::int64_t offset = admission - *parse_iso_date(p.admission);
    EXPECT_EQ(discharge - admission, *parse_iso_date(p.discharge) - *parse_iso_date(p.admission));
    EXPECT_LE(std::abs(offset), 365);
    EXPECT_EQ(std::stoll(lab_table.rows[r].fields[5]) - *parse_iso_date("2022-01-10"), offset);
    offsets.insert(offset);
  }
  EXPECT_GT(offsets.size(), 150u);  // offsets differ between patients
}

TEST(DatePolicy, MonthAndYearGeneraliseWithoutShifting) {
  Study study("month_policy", "  dates: month\n");
  CsvTable month = apply_policy(study.load(), read_file(study.csv));
  CsvTable year = apply_policy(study.load({"privacy.dates=year"}), read_file(study.csv));
  for (std::size_t r = 0; r < study.patients.size(); ++r) {
    const std::int64_t true_day = *parse_iso_date(study.patients[r].admission);
    EXPECT_EQ(std::stoll(month.rows[r].fields[5]), month_start(true_day));
    EXPECT_EQ(std::stoll(year.rows[r].fields[5]), year_start(true_day));
  }
}

TEST(DatePolicy, UnparsableDateNamesFileAndLineButNotTheValue) {
  Study study("bad_date", "");
  const auto& patient = study.patients[6];  // data row 7: line 8 of the file
  std::ofstream(study.csv) << replace_in_row(testing::synthetic_csv(study.patients), patient.id,
                                             patient.admission, "17/03/2021");
  std::string message = user_error_of([&] { run_shard(study.load(), false); });
  EXPECT_CONTAINS(message, study.csv + ":8: column 'admission_date'");
  EXPECT_CONTAINS(message, "YYYY-MM-DD");
  EXPECT_EQ(message.find("17/03/2021"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(study.shard_dir() + "/manifest.json"));
}

TEST(DatePolicy, MissingDatesStayMissing) {
  Study study("missing_date", "");
  const auto& patient = study.patients[0];
  std::string csv = replace_in_row(testing::synthetic_csv(study.patients), patient.id,
                                   patient.discharge, "");
  CsvTable table = apply_policy(study.load(), csv);
  EXPECT_EQ(table.rows[0].fields[6], "");
}

// ------------------------------------------------------------------------------- free text

TEST(FreeText, LooksLikeProseNotLikeALabel) {
  EXPECT_FALSE(looks_like_free_text("F"));
  EXPECT_FALSE(looks_like_free_text("Type 2 diabetes"));
  EXPECT_FALSE(looks_like_free_text("chronic kidney disease"));
  EXPECT_TRUE(looks_like_free_text("patient seen by her GP on Monday, referred"));
  EXPECT_TRUE(looks_like_free_text("Lives alone near the old church since 2019"));
}

TEST(FreeText, DeclaredColumnIsRefusedUntilAllowedWithAReason) {
  Study study("declared", "");
  std::string csv = "patient_id,notes,age,outcome\nP1,fine,40,0\nP2,ok,41,1\n";
  std::ofstream(study.csv) << csv;
  const std::vector<std::string> base = {"data.numeric=[age]", "data.categorical=[]",
                                         "data.dates=[]", "data.drop=[]",
                                         "data.free_text=[notes]"};
  SecretKey key = load_key_file(study.key);
  std::string refused = user_error_of([&] { PseudonymisationPolicy(study.load(base), key); });
  EXPECT_CONTAINS(refused, "'notes' is free text");
  EXPECT_CONTAINS(refused, "privacy.allow_free_text");

  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = base;
    all.insert(all.end(), extra.begin(), extra.end());
    return study.load(all);
  };
  std::string no_reason = user_error_of(
      [&] { PseudonymisationPolicy(with({"privacy.allow_free_text=[notes]"}), key); });
  EXPECT_CONTAINS(no_reason, "privacy.free_text_reason");
  std::string short_reason = user_error_of([&] {
    PseudonymisationPolicy(with({"privacy.allow_free_text=[notes]",
                                 "privacy.free_text_reason=ok"}), key);
  });
  EXPECT_CONTAINS(short_reason, "at least 20 characters");
  Config allowed = with({"privacy.allow_free_text=[notes]",
                         "privacy.free_text_reason='Reviewed by the DPO: notes are codes only'"});
  EXPECT_NO_THROW(PseudonymisationPolicy(allowed, key));
}

TEST(FreeText, ProseInACategoricalColumnIsRefusedWithoutShowingIt) {
  Study study("prose", "");
  const std::string note = "Seen by Dr Martin at home in Lyon after a fall";
  std::ofstream(study.csv) << "patient_id,comment,age,outcome\nP1,none,40,0\nP2," << note
                           << ",41,1\nP3,none,42,0\n";
  Config config = study.load({"data.numeric=[age]", "data.categorical=[comment]",
                              "data.dates=[]", "data.drop=[]"});
  std::string message = user_error_of([&] { run_shard(config, false); });
  EXPECT_CONTAINS(message, study.csv + ":3: column 'comment' (data.categorical) holds free text");
  EXPECT_EQ(message.find("Martin"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(study.shard_dir() + "/manifest.json"));
}

// ------------------------------------------------------------------------------- risk gate

TEST(RiskGate, KOneIsRefusedWithAReportAndNoShard) {
  Study study("k1", kQuasi);
  std::string message = user_error_of([&] { run_shard(study.load(), false); });
  EXPECT_CONTAINS(message, "re-identification risk gate refused");
  EXPECT_CONTAINS(message, "k = 1 on quasi-identifiers [age, sex, postcode, admission_date]");
  EXPECT_CONTAINS(message, "(k_min 5)");
  EXPECT_CONTAINS(message, "privacy.generalise");
  EXPECT_CONTAINS(message, "privacy.override_k.reason");
  expect_none_of(message, identifying_values(study.patients), "the error");

  EXPECT_FALSE(fs::exists(study.shard_dir() + "/manifest.json"));
  for (const auto& entry : fs::directory_iterator(study.shard_dir()))
    EXPECT_NE(entry.path().extension(), ".h5") << entry.path();
  Json report = Json::parse(read_file(study.shard_dir() + "/privacy_report.json"));
  EXPECT_EQ(report["reidentification_risk"]["decision"], "refused");
  EXPECT_EQ(report["reidentification_risk"]["before"]["k"], 1);
  EXPECT_EQ(report["reidentification_risk"]["after"]["k"], 1);
  EXPECT_EQ(report["reidentification_risk"]["after"]["records"], 200);
  EXPECT_TRUE(report["reidentification_risk"].contains("suggestion"));
  std::string markdown = read_file(study.shard_dir() + "/privacy_report.md");
  EXPECT_CONTAINS(markdown, "refused");
  expect_none_of(report.dump() + markdown, identifying_values(study.patients), "the report");
}

TEST(RiskGate, GeneralisedReleaseIsWrittenWithBeforeAndAfterFigures) {
  Study study("generalised", std::string(kQuasi) + kGeneralise);
  ShardResult result = run_shard(study.load(), false);
  EXPECT_TRUE(fs::exists(study.shard_dir() + "/manifest.json"));
  Json report = Json::parse(read_file(study.shard_dir() + "/privacy_report.json"));
  const Json& risk = report["reidentification_risk"];
  EXPECT_EQ(risk["decision"], "passed");
  EXPECT_EQ(risk["before"]["k"], 1);
  EXPECT_EQ(risk["after"]["k"], 12);
  EXPECT_EQ(risk["after"]["equivalence_classes"], 16);
  EXPECT_EQ(risk["after"]["records_in_classes_below_k_min"], 0);
  EXPECT_DOUBLE_EQ(risk["after"]["prosecutor_risk_max"].get<double>(), 1.0 / 12);
  EXPECT_EQ(report["dates"]["policy"], "shift");
  std::string markdown = read_file(study.shard_dir() + "/privacy_report.md");
  EXPECT_CONTAINS(markdown, "| k (patients in the smallest class) | 1 | 12 |");
  expect_none_of(report.dump() + markdown, identifying_values(study.patients), "the report");

  // What reaches the manifest is generalised: postcode features are departements.
  std::set<std::string> postcode_features;
  for (const FeatureInfo& f : result.manifest.features)
    if (f.source == "postcode") postcode_features.insert(f.name);
  EXPECT_EQ(postcode_features, (std::set<std::string>{"postcode=69", "postcode=75"}));
  expect_none_of(read_file(study.shard_dir() + "/manifest.json"),
                 identifying_values(study.patients), "manifest.json");

  // And the audit log records the creation.
  AuditLogCheck check = verify_audit_log(study.shard_dir() + "/audit.jsonl");
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(check.entries, 1);
  Json entry = Json::parse(read_file(study.shard_dir() + "/audit.jsonl"));
  EXPECT_EQ(entry["event"], "shards_created");
  EXPECT_EQ(entry["key_id"], result.manifest.key_id);
  EXPECT_EQ(entry["inputs"][0]["sha256"], result.manifest.source_sha256);
  EXPECT_EQ(entry["risk_gate"]["k_after"], 12);
  EXPECT_EQ(entry["manifest_sha256"].get<std::string>().size(), 64u);
}

TEST(RiskGate, FollowingTheSuggestionsLeadsToARelease) {
  // Take the gate's advice one step at a time, as a user would: it must end in a release.
  Study study("follow", kQuasi);
  std::map<std::string, std::string> rules;  // column -> rule
  std::string steps;
  for (int step = 0; step < 12; ++step) {
    std::string list;
    for (const auto& [column, rule] : rules) list += (list.empty() ? "" : ",") + rule;
    try {
      run_shard(study.load({"privacy.generalise=[" + list + "]"}), true);
      EXPECT_TRUE(fs::exists(study.shard_dir() + "/manifest.json"));
      return;
    } catch (const UserError&) {
      Json report = Json::parse(read_file(study.shard_dir() + "/privacy_report.json"));
      const Json& risk = report["reidentification_risk"];
      ASSERT_TRUE(risk.contains("suggestion")) << risk.dump(2);
      const std::string rule = risk["suggestion"]["add_generalisation"];
      rules[rule.substr(0, rule.find('='))] = rule;
      steps += " " + rule;
    }
  }
  FAIL() << "no release after 12 suggestions:" << steps;
}

TEST(RiskGate, OverrideNeedsAWrittenReason) {
  Study study("override", kQuasi);
  std::string empty = user_error_of([&] {
    run_shard(study.load({"privacy.override_k.reason=''"}), false);
  });
  EXPECT_CONTAINS(empty, "privacy.override_k.reason must be a written reason");
  EXPECT_FALSE(fs::exists(study.shard_dir() + "/manifest.json"));

  const std::string reason = "Ethics committee decision 2024-17: synthetic test cohort";
  run_shard(study.load({"privacy.override_k.reason='" + reason + "'"}), false);
  Json report = Json::parse(read_file(study.shard_dir() + "/privacy_report.json"));
  EXPECT_EQ(report["reidentification_risk"]["decision"], "overridden");
  EXPECT_EQ(report["reidentification_risk"]["override_reason"], reason);
  EXPECT_EQ(report["reidentification_risk"]["after"]["k"], 1);
}

TEST(RiskGate, DroppedQuasiIdentifierIsNotCountedAsReleased) {
  Study study("withheld", std::string(kQuasi) +
                              "  generalise: [age=bands:10, admission_date=month]\n");
  Config config = study.load({"data.categorical=[sex]", "data.drop=[name, postcode]"});
  run_shard(config, false);
  Json report = Json::parse(read_file(study.shard_dir() + "/privacy_report.json"));
  const Json& risk = report["reidentification_risk"];
  EXPECT_EQ(risk["withheld_columns"], Json::array({"postcode"}));
  EXPECT_EQ(risk["before"]["k"], 1);
  EXPECT_GE(risk["after"]["k"].get<int>(), 5);
}

TEST(RiskGate, MisconfigurationsNameTheirKey) {
  Study study("misconfigured", kQuasi);
  SecretKey key = load_key_file(study.key);
  std::string month_on_number = user_error_of(
      [&] { PseudonymisationPolicy(study.load({"privacy.generalise=[age=month]"}), key); });
  EXPECT_CONTAINS(month_on_number, "'age=month' needs 'age' in data.dates");
  std::string bands_on_date = user_error_of([&] {
    PseudonymisationPolicy(study.load({"privacy.generalise=[admission_date=bands:5]"}), key);
  });
  EXPECT_CONTAINS(bands_on_date, "is a date column");
  std::string id_as_quasi = user_error_of([&] {
    PseudonymisationPolicy(study.load({"privacy.quasi_identifiers=[patient_id]"}), key);
  });
  EXPECT_CONTAINS(id_as_quasi, "patient id column");
  std::string id_generalised = user_error_of([&] {
    PseudonymisationPolicy(study.load({"privacy.generalise=[patient_id=digits:3]"}), key);
  });
  EXPECT_CONTAINS(id_generalised, "names the patient id column");
  std::string unknown = user_error_of(
      [&] { run_shard(study.load({"privacy.quasi_identifiers=[agee]"}), false); });
  EXPECT_CONTAINS(unknown, "privacy.quasi_identifiers names column 'agee', which is not in");
}

}  // namespace
}  // namespace galien
