#include "core/yaml/flow_guard.h"

#include <cstddef>

namespace galien::yaml {

std::optional<LoopHazard> yaml_cpp_loop_hazard(const std::string& text) {
  using Kind = LoopHazard::Kind;
  int line = 0, column = 0;
  int depth = 0;             // open [ and {
  bool node_start = true;    // the next non-blank character starts a value (or key)
  bool after_quote = false;  // a quoted value or a [...] / {...} just closed
  int closed_line = -1;      // the line where one closed at depth 0
  int block_indent = -1;     // inside a block scalar: lines indented more than this
  int block_content_indent = -1;  // and at least as much as its first non-blank line
  int line_indent = 0;       // indentation of the current line
  bool at_line_start = true;
  // A plain value at depth 0 ran to the end of its line: yaml-cpp reads the next non-blank line
  // as more of it (a multi-line plain scalar), brackets and quotes included, unless a comment
  // line ends it first. "b\n{\n#\n," is the scalar "b {", a comment, then a ',' where a value
  // starts (yaml-cpp looped; fuzz_slurm_profile, 2026-12-07): that '{' opens nothing.
  bool plain_open = false;
  bool continues_plain = false;  // this line's first token is such a continuation
  // Which lines continue it: a value that opens its line ("a", or a map value on its own line)
  // goes on over lines indented as much; one after "- ", "key: " or an anchor only over lines
  // indented more ("- a\n\"\", c" is, for yaml-cpp, the item "a", then '""' and a ',' where a
  // value starts: it allocated until bad_alloc; found after a tag, fuzz_slurm_profile, 12-07).
  int plain_indent = 0;
  bool plain_opens_line = false;
  const std::size_t n = text.size();
  auto advance = [&](std::size_t& i) {
    if (text[i] == '\n') {
      ++line;
      column = 0;
      at_line_start = true;
      line_indent = 0;
      if (depth == 0) node_start = true;
    } else {
      ++column;
    }
    ++i;
  };
  // A plain value: runs to the end of the line at depth 0 (its commas are its own), or to the
  // next flow indicator inside brackets. ": " and " #" end it too.
  auto plain_value = [&](std::size_t& i) {
    if (!continues_plain) {
      plain_indent = line_indent;
      plain_opens_line = column == line_indent;
    }
    node_start = false;
    while (i < n && text[i] != '\n') {
      const char p = text[i];
      if (depth > 0 && (p == ',' || p == ']' || p == '}')) break;
      if (p == ':' && (i + 1 >= n || text[i + 1] == ' ' || text[i + 1] == '\n' ||
                       (depth > 0 && (text[i + 1] == ',' || text[i + 1] == ']' ||
                                      text[i + 1] == '}')))) {
        break;
      }
      if (p == ' ' && i + 1 < n && text[i + 1] == '#') break;
      advance(i);
    }
    plain_open = depth == 0 && (i >= n || text[i] == '\n');
  };
  for (std::size_t i = 0; i < n;) {
    const char c = text[i];
    if (at_line_start) {
      // Indentation, then: inside a block scalar, skip lines indented deeper than its parent.
      std::size_t j = i;
      while (j < n && text[j] == ' ') ++j;
      const int indent = static_cast<int>(j - i);
      const bool blank = j >= n || text[j] == '\n' || text[j] == '\r';
      // The first non-blank line of a block scalar sets its indentation; a later line indented
      // less ends it, even if deeper than its parent (yaml-cpp then reads ">-\n  a\n ,b" as a
      // ',' where a value starts and allocated until bad_alloc: fuzz_config, 2026-12-07).
      if (block_indent >= 0 && block_content_indent < 0 && !blank && indent > block_indent)
        block_content_indent = indent;
      const bool in_block_content = block_content_indent >= 0 && indent >= block_content_indent;
      if (block_indent >= 0 && (blank || in_block_content)) {
        while (i < n && text[i] != '\n') advance(i);
        if (i < n) advance(i);
        continue;
      }
      block_indent = -1;
      block_content_indent = -1;
      line_indent = indent;
      while (i < n && text[i] == ' ') advance(i);
      at_line_start = false;
      continues_plain = plain_open && depth == 0 && !blank &&
                        (plain_opens_line ? indent >= plain_indent : indent > plain_indent);
      continue;
    }
    if (c == '\n') {
      advance(i);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      advance(i);
      continue;
    }
    if (c == '#') {  // only after a blank or at a line start (this loop skips blanks)
      while (i < n && text[i] != '\n') advance(i);
      plain_open = false;
      continues_plain = false;
      continue;
    }
    // A '%' opening a line where a token starts is a directive (%YAML, %TAG) for yaml-cpp, to
    // the end of its line; the guard had read it as a plain value continued by the next line,
    // so "%\n!###," passed (yaml-cpp allocated until bad_alloc: fuzz_slurm_profile,
    // 2026-12-07).
    if (c == '%' && column == 0 && depth == 0 && !continues_plain) {
      while (i < n && text[i] != '\n') advance(i);
      plain_open = false;
      node_start = true;
      continue;
    }
    // "---" and "..." opening a line end any value before them ("x\n--- ," is "x", a new
    // document, then a ',' where a value starts).
    if (column == 0 && depth == 0 && (c == '-' || c == '.') && i + 2 < n &&
        text.compare(i, 3, c == '-' ? "---" : "...") == 0 &&
        (i + 3 >= n || text[i + 3] == ' ' || text[i + 3] == '\n' || text[i + 3] == '\t' ||
         text[i + 3] == '\r')) {
      advance(i);
      advance(i);
      advance(i);
      plain_open = false;
      continues_plain = false;
      node_start = true;
      continue;
    }
    if (c == ',') {
      // continues_plain: the ',' opens a line after a plain value. yaml-cpp reads such a line
      // as more of the value only in some places (after "- a" or "&a x" it is not, and
      // "&a x\n,b" made it allocate until bad_alloc: fuzz_slurm_profile, 2026-12-07): such a
      // line is refused wherever it is, as no galien file needs one.
      if (depth == 0 && (node_start || after_quote || continues_plain))
        return LoopHazard{Kind::kStrayComma, {line, column}};
      continues_plain = false;
      after_quote = false;
      node_start = depth > 0;
      advance(i);
      continue;
    }
    if (after_quote && depth == 0 && line == closed_line && c != ':')
      return LoopHazard{Kind::kTextAfterClosedValue, {line, column}};
    if (continues_plain) {  // more of the previous line's plain value
      plain_value(i);
      continues_plain = false;
      continue;
    }
    plain_open = false;
    // Tags are refused: yaml-cpp 0.7 mis-scans what follows them over and over ("!x a\n,",
    // "!\xff{\n,", "!x a\n\"\",", "!x a\n? " each made it allocate until bad_alloc:
    // fuzz_slurm_profile, 2026-12-07), and galien's files never need one.
    if (c == '!' && (node_start || after_quote)) return LoopHazard{Kind::kTag, {line, column}};
    // Anchors (&a) and aliases (*a) are tokens of their own, even right after a closed [...]:
    // skip them, keeping the state.
    if ((c == '&' || c == '*') && (node_start || after_quote)) {
      while (i < n && text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r' &&
             text[i] != ',' && text[i] != '[' && text[i] != ']' && text[i] != '{' &&
             text[i] != '}') {
        advance(i);
      }
      if (c == '*') {
        after_quote = true;
        node_start = false;
        if (depth == 0) closed_line = line;
      }
      continue;
    }
    // A quote right after a closed one starts another quoted token for yaml-cpp ("a""b", c
    // looped too: fuzz_slurm_profile, round 3).
    const bool quote_starts = node_start || after_quote;
    after_quote = false;
    if (quote_starts && (c == '\'' || c == '"')) {  // a quoted value, possibly over lines
      advance(i);
      while (i < n) {
        if (c == '"' && text[i] == '\\' && i + 1 < n) {
          advance(i);
          advance(i);
          continue;
        }
        if (text[i] == c) {
          if (c == '\'' && i + 1 < n && text[i + 1] == '\'') {  // '' inside '...'
            advance(i);
            advance(i);
            continue;
          }
          break;
        }
        advance(i);
      }
      if (i < n) advance(i);  // the closing quote
      at_line_start = false;
      after_quote = true;
      node_start = false;
      if (depth == 0) closed_line = line;
      continue;
    }
    if (c == '[' || c == '{') {
      if (node_start || depth > 0) {
        ++depth;
        node_start = true;
        advance(i);
        continue;
      }
    }
    if ((c == ']' || c == '}') && depth > 0) {
      --depth;
      node_start = false;
      after_quote = depth == 0;
      if (depth == 0) closed_line = line;
      advance(i);
      continue;
    }
    if (node_start && depth == 0 && (c == '|' || c == '>')) {  // block scalar: skip its lines
      block_indent = line_indent;
      while (i < n && text[i] != '\n') advance(i);
      continue;
    }
    // Indicators followed by a blank: "- ", ": " (and "--- ") start a value.
    const bool blank_after = i + 1 >= n || text[i + 1] == ' ' || text[i + 1] == '\n' ||
                             text[i + 1] == '\r' || text[i + 1] == '\t';
    // An explicit key ("? k"): after a complete top-level value yaml-cpp loops or allocates
    // without end ("''s\n?\n", "!x a\n? "), and galien's keys are plain names.
    if (c == '?' && blank_after && (node_start || depth > 0))
      return LoopHazard{Kind::kExplicitKey, {line, column}};
    if ((c == '-' || c == ':') && blank_after && (node_start || c == ':')) {
      node_start = true;
      advance(i);
      continue;
    }
    if (c == ':' && depth > 0) {  // {a:1} style in flow
      node_start = true;
      advance(i);
      continue;
    }
    if (i + 2 < n && node_start && text.compare(i, 3, "---") == 0) {
      node_start = true;
      advance(i);
      advance(i);
      advance(i);
      continue;
    }
    plain_value(i);
  }
  return std::nullopt;
}

std::optional<TextPosition> control_character(const std::string& text) {
  TextPosition at;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return at;
    // A CR is a line end only as CRLF: yaml-cpp takes a lone CR for a line break where this
    // guard sees a blank, and looped on "&\ro," (fuzz_slurm_profile, 2026-12-07).
    if (c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return at;
    if (c == '\n') {
      ++at.line;
      at.column = 0;
    } else {
      ++at.column;
    }
  }
  return std::nullopt;
}

}  // namespace galien::yaml
