// A guard in front of yaml-cpp 0.7 (Debian 12's), which never returns, or allocates until
// bad_alloc (GBs a second), on some short texts. Found by fuzzing; each input is kept in
// tests/fuzz/regressions/config/ and slurm_profile/ (docs/RELIABILITY.md, findings 1-17):
//  - a ',' where a value starts at the top level: ", x", "- 1\n, 2", '"1", "0"' (an override
//    typed as data.classes="1", "0"), "[1], 2", or a ',' opening a line after a value
//    ("b\n{\n#\n,", "- a\n\"\", c", ">-\n  a\n ,b" where the line ends the block scalar);
//  - text after a closed quoted value or [...] on its line at the top level ("''s\n?\n");
//  - tags ("!x a\n,", "!\xff\n? ") and explicit "? " keys.
// None of these is needed by galien's files (most is not valid YAML either), so galien refuses
// each by position before yaml-cpp sees the text. The scanner follows what changes where a
// value starts: quotes, comments, flow brackets, block scalars, multi-line plain values,
// directives and document markers.
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
