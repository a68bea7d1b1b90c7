// A guard in front of yaml-cpp 0.7 (Debian 12's): its parser never returns on a ',' in block
// context where a value should start — ", x" as a document, "- 1\n, 2", or '"1", "0"' (an
// override such as data.classes="1", "0" as typed on a command line), "[1], 2" or
// "[8,4]!t, x" (after a closed [...], with or without a tag), or "b\n{\n#\n," (a plain value
// continued by a bracket on the next line, then a comment: the ',' starts a value); and with no
// comma, on text after a closed quoted value or [...] at the top level once a "?" line follows
// ("''s\n?\n"). It also allocated until bad_alloc (GBs in a second) on a ',' opening the line
// after a tagged value ("!x a\n,"; "!\xc3\xa9{\n,", where the tag ends at the first non-tag
// byte and '{' opens nothing) or after a block scalar's line indented less than its first
// (">-\n  a\n ,b"), or on a quoted value then ',' on the line after one ("!x a\n\"\","). Found by
// fuzzing (tests/fuzz/regressions/config/ and slurm_profile/). Such a ',' is not valid YAML
// either (a plain value cannot start with ',', and a quoted one ends at its quote); a ',' that
// opens a line after a plain value may be (more of that value), but no galien file needs one.
// So galien refuses them by position before yaml-cpp sees the text.
#pragma once

#include <optional>
#include <string>

namespace galien::yaml {

struct TextPosition {
  int line = 0;    // 0-based, as YAML::Mark
  int column = 0;  // 0-based
};

// Text yaml-cpp 0.7 would loop on, and where it starts.
struct LoopHazard {
  enum class Kind {
    // A ',' outside any [...] or {...} where a value starts, or right after a quoted value or
    // a closed [...] / {...}.
    kStrayComma,
    // At the top level, more text on the line of a closed quoted value, [...] or {...} ("'a' b",
    // "{a: 1} x", "[8,4]!t"): yaml-cpp loops on it once a "?" line follows (fuzz_slurm_profile,
    // 2026-12-07: "''s\n?\n"). Not YAML either.
    kTextAfterClosedValue,
    // A tag ("!x", "!!str") where a value starts: after one, yaml-cpp allocated until bad_alloc
    // on several texts (2026-12-07); galien's files hold plain names, numbers, text and lists.
    kTag,
    // An explicit key ("? k"): yaml-cpp looped or blew up on it after a complete value.
    kExplicitKey,
  };
  Kind kind;
  TextPosition at;
};

// The first such hazard, or nullopt. A light scanner: quotes, comments, flow brackets, block
// scalars (| >) and multi-line plain values are followed; commas inside plain values
// ("name: a, b") are left alone.
std::optional<LoopHazard> yaml_cpp_loop_hazard(const std::string& text);

// Where the first control character (below 0x20 other than tab, line feed and the CR of a CRLF
// line end, or 0x7F) is, or nullopt. YAML text must be printable; yaml-cpp 0.7 also looped on
// "&1 \0,e" (fuzz_slurm_profile, round 4) and on a lone CR ("&\ro,", 2026-12-07).
std::optional<TextPosition> control_character(const std::string& text);

}  // namespace galien::yaml
