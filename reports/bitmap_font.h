// The font of the report charts: 5 x 8 pixel glyphs for printable ASCII (32-126), 7 rows above
// the baseline and 1 for descenders. Drawn for galien and written out in bitmap_font.cpp, so the
// charts need no font file, no FreeType and no third-party licence.
#pragma once

namespace galien::font {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 8;
constexpr int kAdvance = 6;  // glyph plus one blank column between characters

// Whether pixel (column, row) of the glyph of `c` is ink; row 0 is the top. Characters outside
// 32-126 (tabs, UTF-8 bytes) draw as '?', so a label never silently loses a character.
bool ink(char c, int column, int row);

}  // namespace galien::font
