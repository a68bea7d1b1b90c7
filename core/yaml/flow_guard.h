// A guard in front of yaml-cpp 0.7 (Debian 12's): its parser never returns on a ',' in block
// context where a value should start — ", x" as a document, "- 1\n, 2", or '"1", "0"' (an
// override such as data.classes="1", "0" as typed on a command line), "[1], 2" or
// "[8,4]!t, x" (after a closed [...], with or without a tag), or "b\n{\n#\n," (a plain value
// continued by a bracket on the next line, then a comment: the ',' starts a value). Found by
// fuzzing (tests/fuzz/regressions/config/ and slurm_profile/). Such a ',' is not valid YAML either (a plain value cannot
// start with ',', and a quoted one ends at its quote), so galien refuses it by position before
// yaml-cpp sees the text.
#pragma once

#include <optional>
#include <string>

namespace galien::yaml {

struct TextPosition {
  int line = 0;    // 0-based, as YAML::Mark
  int column = 0;  // 0-based
};

// Where the first ',' outside any [...] or {...} starts a value or follows a quoted value or a
// closed [...] / {...}, or
// nullopt. A light scanner: quotes, comments, flow brackets and block scalars (| >) are followed;
// commas inside plain values ("name: a, b") are left alone.
std::optional<TextPosition> stray_flow_comma(const std::string& text);

// Where the first control character (below 0x20 other than tab, line feed and carriage return,
// or 0x7F) is, or nullopt. YAML text must be printable; yaml-cpp 0.7 also looped on "&1 \0,e"
// (fuzz_slurm_profile, round 4).
std::optional<TextPosition> control_character(const std::string& text);

}  // namespace galien::yaml
