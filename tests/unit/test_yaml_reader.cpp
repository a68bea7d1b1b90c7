// The YAML reader of core/yaml: every error form with its FILE:LINE:COLUMN, closest-key hints,
// typed getters with ranges and enums, required and optional keys, and the whole-document checks
// (duplicate keys, keys that are not names, a second document, self-referencing aliases).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/yaml/document.h"
#include "core/yaml/node.h"
#include "tests/support/test_support.h"

namespace galien::yaml {
namespace {

using test::user_error_of;

std::string parse_error(const std::string& text) {
  return user_error_of([&] { parse(text, "f.yaml"); });
}

// ---- Parsing --------------------------------------------------------------------------------

TEST(YamlParse, SyntaxErrorNamesLineColumnAndWhatToCheck) {
  EXPECT_EQ(parse_error("a: 1\nb: [1,\n"),
            "f.yaml:3:1: YAML syntax error: end of sequence flow not found; check the indentation "
            "(spaces, no tabs), the ': ' after each key, and that brackets and quotes are closed");
  EXPECT_CONTAINS(parse_error("a: b: c\n"), "f.yaml:1:5: YAML syntax error: illegal map value");
  EXPECT_CONTAINS(parse_error("a: 1\n\tb: 2\n"), "f.yaml:2:1: YAML syntax error: illegal tab");
}

TEST(YamlParse, ValueWithoutPositionsNamesItsDescription) {
  const std::string message =
      user_error_of([] { parse_value("[1,", "command-line override 'model.hidden=[1,'"); });
  EXPECT_CONTAINS(message, "command-line override 'model.hidden=[1,': YAML syntax error: ");
  EXPECT_CONTAINS(message, "check that brackets and quotes are closed");
  EXPECT_EQ(message.find("f.yaml"), std::string::npos);
  const Node value = parse_value("ten", "override 'x=ten'");
  EXPECT_EQ(user_error_of([&] { value.as_int(); }),
            "override 'x=ten': the document must be an integer, got 'ten'");
}

TEST(YamlParse, DuplicateKeysAreRefusedWhereverTheyAre) {
  EXPECT_EQ(parse_error("a: 1\nb: 2\na: 3\n"),
            "f.yaml:3:1: duplicate key 'a' (first at line 1); keep one of them");
  EXPECT_EQ(parse_error("trainer:\n  epochs: 1\n  seed: 2\n  epochs: 3\n"),
            "f.yaml:4:3: duplicate key 'epochs' in section 'trainer' (first at line 2); keep one "
            "of them");
  EXPECT_CONTAINS(parse_error("qos:\n  - {name: a, name: b}\n"),
                  "f.yaml:2:15: duplicate key 'name' in section 'qos[0]'");
  EXPECT_EQ(user_error_of([] { parse_value("{a: 1, a: 2}", "override 'x={a: 1, a: 2}'"); }),
            "override 'x={a: 1, a: 2}': duplicate key 'a'; keep one of them");
}

TEST(YamlParse, KeysMustBePlainNames) {
  // Explicit keys are refused before parsing (yaml-cpp mishandled them, docs/RELIABILITY.md
  // finding 17); a flow key is refused once parsed.
  EXPECT_CONTAINS(parse_error("? [a, b]\n: 1\n"),
                  "f.yaml:1:1: an explicit key ('? '): galien's keys are plain names");
  EXPECT_EQ(parse_error("[a, b]: 1\n"),
            "f.yaml:1:1: keys must be plain names, got a list; write NAME: value");
  EXPECT_CONTAINS(parse_error("node:\n  ~: 4\n"), "f.yaml:2:3: keys must be plain names, got null");
}

TEST(YamlParse, OneDocumentPerFile) {
  EXPECT_CONTAINS(parse_error("a: 1\n---\nb: 2\n"),
                  "f.yaml:3:1: a second YAML document (after '---'); galien reads one document "
                  "per file");
  EXPECT_EQ(parse("---\na: 1\n---\n# nothing after\n", "f.yaml").required("a").as_int(), 1);
}

TEST(YamlParse, SelfReferencingAndExplodingAliasesFailFast) {
  EXPECT_CONTAINS(parse_error("a: &x [*x]\n"), "nested more than 64 levels deep");
  // Each level lists the previous one twice: 2^25 values if walked, from a few hundred bytes.
  std::string bomb = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 25; ++i)
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
            std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
  EXPECT_CONTAINS(parse_error(bomb), "more than 100000 values");
  // An alias used the ordinary way is fine.
  const Node root = parse("base: &b {gpus: 4}\nnode: *b\n", "f.yaml");
  EXPECT_EQ(root.required("node").required("gpus").as_int(), 4);
}

TEST(YamlParse, EmptyDocumentIsANullRootAtLineOne) {
  const Node root = parse("# only a comment\n", "f.yaml");
  EXPECT_TRUE(root.is_null());
  EXPECT_TRUE(root.entries().empty());
  EXPECT_FALSE(root.optional("anything"));
  EXPECT_EQ(user_error_of([&] { root.allow_keys({"a"}); }),
            "f.yaml:1:1: the top level must be a map of keys (NAME: value), got null");
}

TEST(YamlParse, MissingFileNamesThePath) {
  EXPECT_CONTAINS(user_error_of([] { parse_file("/nonexistent/galien/profile.yaml"); }),
                  "/nonexistent/galien/profile.yaml");
}

// ---- Maps -----------------------------------------------------------------------------------

TEST(YamlMaps, UnknownKeyGetsTheClosestValidKey) {
  const Node root = parse("description: x\nnode:\n  gpu: 4\n", "site.yaml");
  EXPECT_EQ(user_error_of([&] { root.required("node").allow_keys({"gpus", "cores"}); }),
            "site.yaml:3:3: unknown key 'gpu' in section 'node'; did you mean 'gpus'?");
  EXPECT_EQ(user_error_of([&] { root.allow_keys({"descriptions", "nodes"}); }),
            "site.yaml:1:1: unknown top-level key 'description'; did you mean 'descriptions'?");
  EXPECT_EQ(user_error_of([&] { root.required("node").allow_keys({"memory", "cores"}); }),
            "site.yaml:3:3: unknown key 'gpu' in section 'node'; valid keys: memory, cores");
}

TEST(YamlMaps, SectionThatIsNotAMap) {
  const Node root = parse("node: 4\n", "f.yaml");
  EXPECT_EQ(user_error_of([&] { root.required("node").allow_keys({"gpus"}); }),
            "f.yaml:1:7: node must be a section (a map of keys), got '4'");
  EXPECT_EQ(user_error_of([&] { parse("- a\n", "f.yaml").optional("a"); }),
            "f.yaml:1:1: the top level must be a map of keys (NAME: value), got a list");
}

TEST(YamlMaps, RequiredKeyMissingPointsAtTheSectionOrAtTheTypo) {
  const Node root = parse("name: run\ntrainer:\n  epochs: 3\n  batch_sise: 8\n", "config.yaml");
  const Node trainer = root.required("trainer");
  EXPECT_EQ(user_error_of([&] { trainer.required("batch_size"); }),
            "config.yaml:4:3: missing key 'batch_size' in section 'trainer'; did you mean "
            "'batch_size' instead of 'batch_sise'?");
  EXPECT_EQ(user_error_of([&] { trainer.required("output_dir"); }),
            "config.yaml:2:1: missing key 'output_dir' in section 'trainer'; add it");
  EXPECT_EQ(user_error_of([&] { trainer.required("output_dir", "; add it: where runs go"); }),
            "config.yaml:2:1: missing key 'output_dir' in section 'trainer'; add it: where runs go");
  EXPECT_EQ(user_error_of([&] { root.required("trainr"); }),
            "config.yaml:2:1: missing key 'trainr' in the top level; did you mean 'trainr' instead "
            "of 'trainer'?");
  // A section written with nothing in it: reported at its key.
  EXPECT_EQ(user_error_of([&] { parse("a: 1\nnode:\n", "f.yaml").required("node").required("gpus"); }),
            "f.yaml:2:1: missing key 'gpus' in section 'node'; add it");
}

TEST(YamlMaps, OptionalEntriesAndHas) {
  const Node root = parse("b: 2\na: 1\nempty:\n", "f.yaml");
  EXPECT_TRUE(root.has("a"));
  EXPECT_FALSE(root.has("c"));
  EXPECT_FALSE(root.optional("c"));
  EXPECT_EQ(root.optional("a")->as_int(), 1);
  EXPECT_TRUE(root.optional("empty")->is_null());
  std::vector<std::string> keys;
  for (const Node::Entry& entry : root.entries()) keys.push_back(entry.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "a", "empty"}));  // file order
  const Node::Entry second = root.entries()[1];
  EXPECT_EQ(second.value.path(), "a");
  EXPECT_EQ(second.key_node.where(), "f.yaml:2:1");
  EXPECT_EQ(second.value.where(), "f.yaml:2:4");
}

// ---- Lists ----------------------------------------------------------------------------------

TEST(YamlLists, ItemsCarryTheirIndexInThePath) {
  const Node root = parse("qos:\n  - {name: a, max_time: 1}\n  - {name: [b]}\n", "f.yaml");
  const std::vector<Node> items = root.required("qos").items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].required("name").as_string(), "a");
  EXPECT_EQ(user_error_of([&] { items[1].required("name").as_string(); }),
            "f.yaml:3:12: qos[1].name must be a string, got a list");
  EXPECT_EQ(user_error_of([&] { items[1].required("max_time"); }),
            "f.yaml:3:5: missing key 'max_time' in section 'qos[1]'; add it");
  EXPECT_EQ(user_error_of([&] { items[0].items(); }), "f.yaml:2:5: qos[0] must be a list, got a map");
}

// ---- Scalars --------------------------------------------------------------------------------

// The error of reading `key` of a one-line document "key: VALUE" with `read`.
template <class F>
std::string value_error(const std::string& yaml, F&& read) {
  const Node root = parse(yaml, "v.yaml");
  return user_error_of([&] { read(root.required("key")); });
}

TEST(YamlScalars, StringsAndNull) {
  const Node root = parse("a: text\nb: ''\nc:\nd: [x]\ne: 12\n", "f.yaml");
  EXPECT_EQ(root.required("a").as_string(), "text");
  EXPECT_EQ(root.required("e").as_string(), "12");  // any scalar is a string
  EXPECT_EQ(root.required("b").as_string(), "");
  EXPECT_EQ(user_error_of([&] { root.required("b").as_nonempty_string(); }),
            "f.yaml:2:4: b must be a non-empty string, got ''");
  // A null value is reported at its key, not at the next token (yaml-cpp's mark of it).
  EXPECT_EQ(user_error_of([&] { root.required("c").as_string(); }),
            "f.yaml:3:1: c must be a string, got null");
  EXPECT_EQ(root.required("c").as_optional_string(), std::nullopt);
  EXPECT_EQ(root.required("a").as_optional_string(), std::optional<std::string>("text"));
  EXPECT_EQ(user_error_of([&] { root.required("d").as_optional_string(); }),
            "f.yaml:4:4: d must be a string or null, got a list");
}

TEST(YamlScalars, Booleans) {
  const Node root = parse("a: true\nb: no\nc: On\nd: maybe\n", "f.yaml");
  EXPECT_TRUE(root.required("a").as_bool());
  EXPECT_FALSE(root.required("b").as_bool());
  EXPECT_TRUE(root.required("c").as_bool());
  EXPECT_EQ(user_error_of([&] { root.required("d").as_bool(); }),
            "f.yaml:4:4: d must be true or false, got 'maybe'");
}

TEST(YamlScalars, IntegersWithRangesAndTypes) {
  EXPECT_EQ(parse("key: +4\n", "v.yaml").required("key").as_int<int>(closed(0, 64)), 4);
  EXPECT_EQ(parse("key: 18446744073709551615\n", "v.yaml").required("key").as_int<std::uint64_t>(),
            18446744073709551615ull);
  EXPECT_EQ(value_error("key: 65\n", [](const Node& n) { n.as_int<int>(closed(0, 64)); }),
            "v.yaml:1:6: key must be an integer in [0, 64], got '65'");
  EXPECT_EQ(value_error("key: 2.5\n", [](const Node& n) { n.as_int(at_least(1)); }),
            "v.yaml:1:6: key must be an integer >= 1, got '2.5'");
  for (const char* bad : {"key: 1e3\n", "key: 0x10\n", "key: ten\n", "key: ''\n"})
    EXPECT_CONTAINS(value_error(bad, [](const Node& n) { n.as_int(); }), "must be an integer")
        << bad;
  // In range for the check but too large for the C++ type: still the user's mistake.
  EXPECT_EQ(value_error("key: 3000000000\n", [](const Node& n) { n.as_int<int>(); }),
            "v.yaml:1:6: key must be an integer, got '3000000000'");
}

TEST(YamlScalars, NumbersWithOpenAndClosedEnds) {
  EXPECT_DOUBLE_EQ(parse("key: 3e-4\n", "v.yaml").required("key").as_double(), 3e-4);
  EXPECT_EQ(value_error("key: 0\n", [](const Node& n) { n.as_double(left_open(0, 10)); }),
            "v.yaml:1:6: key must be a number in (0, 10], got '0'");
  EXPECT_EQ(value_error("key: 1\n", [](const Node& n) { n.as_double(right_open(0, 1)); }),
            "v.yaml:1:6: key must be a number in [0, 1), got '1'");
  EXPECT_EQ(value_error("key: 1e5\n", [](const Node& n) { n.as_double(closed(0, 1e4)); }),
            "v.yaml:1:6: key must be a number in [0, 10000], got '1e5'");
  EXPECT_CONTAINS(value_error("key: .inf\n", [](const Node& n) { n.as_double(); }),
                  "key must be a number, got '.inf'");
  EXPECT_CONTAINS(value_error("key: nan\n", [](const Node& n) { n.as_double(); }), "got 'nan'");
}

TEST(YamlScalars, EnumsAndChoicesSuggestTheNearestValue) {
  EXPECT_EQ(value_error("key: slrum\n", [](const Node& n) { n.as_enum({"slurm", "bridge"}); }),
            "v.yaml:1:6: key must be one of slurm, bridge, got 'slrum'; did you mean 'slurm'?");
  EXPECT_EQ(value_error("key: pbs\n", [](const Node& n) { n.as_enum({"slurm", "bridge"}); }),
            "v.yaml:1:6: key must be one of slurm, bridge, got 'pbs'");
  enum class Kind { kA, kB };
  EXPECT_EQ(parse("key: b\n", "v.yaml")
                .required("key")
                .as_choice<Kind>({{"a", Kind::kA}, {"b", Kind::kB}}),
            Kind::kB);
}

TEST(YamlScalars, ListsOfValuesNameTheBadItem) {
  const Node root = parse("s: [a, b]\ni: [64, 0]\nd: [0.5, x]\nn: 3\n", "f.yaml");
  EXPECT_EQ(root.required("s").as_strings(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(user_error_of([&] { root.required("i").as_ints(closed(1, 100)); }),
            "f.yaml:2:9: i[1] must be an integer in [1, 100], got '0'");
  EXPECT_EQ(user_error_of([&] { root.required("d").as_doubles(); }),
            "f.yaml:3:10: d[1] must be a number, got 'x'");
  EXPECT_EQ(user_error_of([&] { root.required("n").as_strings(); }),
            "f.yaml:4:4: n must be a list of strings, got '3'");
  EXPECT_EQ(user_error_of([&] { root.required("n").as_ints(at_least(1)); }),
            "f.yaml:4:4: n must be a list of integers >= 1, got '3'");
}

TEST(YamlScalars, RangeText) {
  EXPECT_EQ(range_text(closed(1, 100000)), " in [1, 100000]");
  EXPECT_EQ(range_text(left_open(0, 0.5)), " in (0, 0.5]");
  EXPECT_EQ(range_text(at_least(0)), " >= 0");
  EXPECT_EQ(range_text({}), "");
}

}  // namespace
}  // namespace galien::yaml
