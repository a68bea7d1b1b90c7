// RFC 4180 CSV reader: a header row, then records; quoted fields may hold commas, line breaks
// and doubled quotes (""); CRLF or LF line ends; a UTF-8 byte-order mark is skipped. Every record
// keeps the 1-based file line it starts on, so later errors can say FILE:LINE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace galien {

struct CsvRow {
  std::int64_t line = 0;            // 1-based line of the file where the record starts
  std::vector<std::string> fields;  // exactly header.size() fields
};

struct CsvTable {
  std::string path;                 // as given, for messages
  std::vector<std::string> header;  // unique, non-empty column names
  std::vector<CsvRow> rows;

  // Index of `column` in the header, or -1.
  int column_index(const std::string& column) const;
};

// Throws UserError naming FILE:LINE on a ragged record, an unterminated quote, stray text after a
// closing quote, or a header with an empty or repeated column name. Blank lines are skipped.
CsvTable parse_csv(std::string_view text, const std::string& path);
CsvTable read_csv(const std::string& path);

}  // namespace galien
