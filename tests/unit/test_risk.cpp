// k-anonymity figures, generalisations and the suggestion of the re-identification risk gate.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "privacy/generalise.h"
#include "privacy/risk.h"
#include "privacy/risk_gate.h"
#include "tests/unit/synthetic_population.h"
#include "tests/support/test_support.h"

namespace galien {
namespace {


using test::user_error_of;

std::vector<std::string> numbered(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back("p" + std::to_string(i));
  return out;
}

QuasiIdentifier column(const std::string& name, std::vector<std::string> raw,
                       std::optional<Generalisation> rule = std::nullopt) {
  QuasiIdentifier q;
  q.column = name;
  q.raw = raw;
  q.rule = rule;
  q.released = rule ? generalise_column(*rule, raw, {}, "t.csv") : raw;
  return q;
}

TEST(Risk, FiguresOfAHandCountedTable) {
  // Classes: A x3, B x2, C x1 (records of distinct patients).
  const std::vector<std::string> quasi = {"A", "A", "A", "B", "B", "C"};
  RiskFigures f = measure_risk(quasi, numbered(6), 3);
  EXPECT_EQ(f.records, 6);
  EXPECT_EQ(f.patients, 6);
  EXPECT_EQ(f.classes, 3);
  EXPECT_EQ(f.k, 1);
  EXPECT_EQ(f.records_below_k_min, 3);  // B, B and C
  EXPECT_DOUBLE_EQ(f.share_below_k_min, 0.5);
  EXPECT_EQ(f.unique_records, 1);
  EXPECT_DOUBLE_EQ(f.max_risk, 1.0);
  EXPECT_DOUBLE_EQ(f.mean_risk, (3 * (1.0 / 3) + 2 * 0.5 + 1.0) / 6);
  EXPECT_FALSE(f.passes());
  EXPECT_TRUE(measure_risk({"A", "A", "B", "B"}, numbered(4), 2).passes());
}

TEST(Risk, ClassesCountPatientsNotRecords) {
  // Three stays of one patient do not make a class of three people.
  RiskFigures f = measure_risk({"A", "A", "A", "B", "B"}, {"x", "x", "x", "y", "z"}, 2);
  EXPECT_EQ(f.patients, 3);
  EXPECT_EQ(f.k, 1);
  EXPECT_EQ(f.records_below_k_min, 3);
  EXPECT_DOUBLE_EQ(f.max_risk, 1.0);
}

TEST(Risk, KeysAreUnambiguous) {
  EXPECT_NE(quasi_identifier_key({"a,b", "c"}), quasi_identifier_key({"a", "b,c"}));
  EXPECT_NE(quasi_identifier_key({"1:a", ""}), quasi_identifier_key({"1", ":a"}));
  EXPECT_EQ(quasi_identifier_key({"x", "y"}), quasi_identifier_key({"x", "y"}));
}

TEST(Generalise, ParsesRulesAndRefusesNonsense) {
  Generalisation g = parse_generalisation("age=bands:10", "privacy.generalise");
  EXPECT_EQ(g.column, "age");
  EXPECT_EQ(g.kind, Generalisation::Kind::kBands);
  EXPECT_EQ(g.parameter, 10);
  EXPECT_EQ(g.text(), "age=bands:10");
  EXPECT_EQ(parse_generalisation(" postcode = digits:2 ", "x").text(), "postcode=digits:2");
  EXPECT_TRUE(parse_generalisation("admission_date=month", "x").is_date());
  for (const char* bad : {"age", "age=bands", "age=bands:0", "age=bands:x", "=month",
                          "d=week", "postcode=digits:99"}) {
    std::string message = user_error_of([&] { parse_generalisation(bad, "--generalise"); });
    EXPECT_CONTAINS(message, "--generalise");
    EXPECT_CONTAINS(message, "bands:WIDTH");
  }
  std::string twice = user_error_of(
      [] { parse_generalisations({"age=bands:5", "age=bands:10"}, "privacy.generalise"); });
  EXPECT_CONTAINS(twice, "'age' has two rules");
  EXPECT_EQ(split_comma_list(" age=bands:10 ,postcode=digits:2,,"),
            (std::vector<std::string>{"age=bands:10", "postcode=digits:2"}));
}

TEST(Generalise, ValuesFollowTheirRule) {
  auto apply = [](const char* rule, const char* value) {
    return generalise_value(parse_generalisation(rule, "x"), value);
  };
  EXPECT_EQ(apply("age=bands:10", "34"), "30");
  EXPECT_EQ(apply("age=bands:10", " 39.9 "), "30");
  EXPECT_EQ(apply("age=bands:10", "40"), "40");
  EXPECT_EQ(apply("age=bands:5", "-3"), "-5");
  EXPECT_EQ(apply("age=bands:10", "0"), "0");
  EXPECT_EQ(apply("age=bands:10", "thirty"), std::nullopt);
  EXPECT_EQ(apply("age=bands:10", "inf"), std::nullopt);
  EXPECT_EQ(apply("postcode=digits:2", "75013"), "75");
  EXPECT_EQ(apply("postcode=digits:3", "69"), "69");
  EXPECT_EQ(apply("d=month", "2021-03-17"), "2021-03-01");
  EXPECT_EQ(apply("d=year", "2021-03-17"), "2021-01-01");
  EXPECT_EQ(apply("d=month", "17/03/2021"), std::nullopt);
}

TEST(Generalise, BadCellNamesFileAndLineButNotTheValue) {
  Generalisation rule = parse_generalisation("age=bands:10", "x");
  std::string message = user_error_of(
      [&] { generalise_column(rule, {"41", "", "forty-two"}, {2, 3, 4}, "stays.csv"); });
  EXPECT_CONTAINS(message, "stays.csv:4");
  EXPECT_CONTAINS(message, "'age'");
  EXPECT_EQ(message.find("forty-two"), std::string::npos) << message;
  // Missing values stay missing.
  EXPECT_EQ(generalise_column(rule, {"41", "NA", " "}, {}, "t.csv"),
            (std::vector<std::string>{"40", "", ""}));
}

TEST(Generalise, LaddersFollowTheShapeOfTheColumn) {
  auto next = [](const std::vector<std::string>& values, std::optional<std::string> current) {
    std::optional<Generalisation> rule;
    if (current) rule = parse_generalisation("c=" + *current, "x");
    std::optional<Generalisation> coarser = coarser_generalisation("c", rule, values);
    return coarser ? coarser->text() : std::string("none");
  };
  const std::vector<std::string> dates = {"2021-03-17", "", "2020-12-01"};
  EXPECT_EQ(next(dates, std::nullopt), "c=month");
  EXPECT_EQ(next(dates, "month"), "c=year");
  EXPECT_EQ(next(dates, "year"), "none");
  const std::vector<std::string> postcodes = {"75013", "69003", "13001"};
  EXPECT_EQ(next(postcodes, std::nullopt), "c=digits:4");
  EXPECT_EQ(next(postcodes, "digits:2"), "c=digits:1");
  EXPECT_EQ(next(postcodes, "digits:1"), "none");
  const std::vector<std::string> ages = {"7", "42", "101"};
  EXPECT_EQ(next(ages, std::nullopt), "c=bands:5");
  EXPECT_EQ(next(ages, "bands:10"), "c=bands:20");
  EXPECT_EQ(next(ages, "bands:100"), "none");
  EXPECT_EQ(next({"F", "M"}, std::nullopt), "none");
}

TEST(TestHelpers, MentionsFindsLeaksButNotDigitsInsideHashes) {
  EXPECT_TRUE(testing::mentions("postcode=75013 seen", "75013"));
  EXPECT_TRUE(testing::mentions("75013", "75013"));
  EXPECT_TRUE(testing::mentions("mean 75013.5", "75013"));
  EXPECT_FALSE(testing::mentions("sha256 ab75013cd", "75013"));
  EXPECT_FALSE(testing::mentions("750130", "75013"));
  EXPECT_TRUE(testing::mentions("id PAT-10037,", "PAT-10037"));
}

TEST(RiskGate, SyntheticPopulationIsUniqueUntilGeneralised) {
  const auto population = testing::synthetic_population();
  std::vector<std::string> age, sex, postcode, admission, patients;
  for (const auto& p : population) {
    age.push_back(std::to_string(p.age));
    sex.push_back(p.sex);
    postcode.push_back(p.postcode);
    admission.push_back(p.admission);
    patients.push_back(p.id);
  }
  std::vector<QuasiIdentifier> raw = {column("age", age), column("sex", sex),
                                      column("postcode", postcode),
                                      column("admission_date", admission)};
  RiskAnalysis before = analyse_quasi_identifiers(raw, patients, 5);
  EXPECT_EQ(before.before.k, 1);
  EXPECT_EQ(before.after.k, 1);
  EXPECT_GT(before.after.share_below_k_min, 0.9);
  ASSERT_TRUE(before.suggestion);
  EXPECT_GE(before.suggestion->k, 1);

  auto rule = [](const char* text) { return parse_generalisation(text, "x"); };
  std::vector<QuasiIdentifier> generalised = {
      column("age", age, rule("age=bands:10")), column("sex", sex),
      column("postcode", postcode, rule("postcode=digits:2")),
      column("admission_date", admission, rule("admission_date=month"))};
  RiskAnalysis after = analyse_quasi_identifiers(generalised, patients, 5);
  EXPECT_EQ(after.before.k, 1);  // before = the source values, whatever the rules
  EXPECT_EQ(after.after.classes, 16);
  EXPECT_EQ(after.after.k, 12);  // 200 patients dealt round-robin into 16 cells
  EXPECT_EQ(after.after.records_below_k_min, 0);
  EXPECT_DOUBLE_EQ(after.after.max_risk, 1.0 / 12);
  EXPECT_FALSE(after.suggestion);
}

TEST(RiskGate, SuggestsTheStepThatReachesKMinKeepingMostClasses) {
  // Sex splits nothing further; postcodes are unique until cut to their departement.
  const std::vector<std::string> postcode = {"75010", "75120", "75230", "69010", "69120",
                                             "69230", "13010", "13120", "13230"};
  const std::vector<std::string> sex(9, "F");
  std::vector<QuasiIdentifier> quasi = {column("sex", sex), column("postcode", postcode)};
  RiskAnalysis analysis = analyse_quasi_identifiers(quasi, numbered(9), 3);
  EXPECT_EQ(analysis.after.k, 1);
  ASSERT_TRUE(analysis.suggestion);
  EXPECT_EQ(analysis.suggestion->rule.text(), "postcode=digits:2");  // digits:4, :3 do not do
  EXPECT_EQ(analysis.suggestion->k, 3);
  EXPECT_TRUE(analysis.suggestion->reaches_k_min);
  std::string message = describe_gate_failure(quasi, analysis);
  EXPECT_CONTAINS(message, "k = 1 on quasi-identifiers [sex, postcode] (k_min 3)");
  EXPECT_CONTAINS(message, "postcode=digits:2");
  for (const std::string& value : postcode) EXPECT_EQ(message.find(value), std::string::npos);
}

TEST(RiskGate, WithheldColumnsLeaveTheReleasedAnalysis) {
  std::vector<QuasiIdentifier> quasi = {column("sex", {"F", "F", "M", "M"}),
                                        column("postcode", {"75001", "75002", "75003", "75004"})};
  quasi[1].withheld = true;
  RiskAnalysis analysis = analyse_quasi_identifiers(quasi, numbered(4), 2);
  EXPECT_EQ(analysis.before.k, 1);
  EXPECT_EQ(analysis.after.k, 2);
}

}  // namespace
}  // namespace galien
