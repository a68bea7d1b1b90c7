#include "datasets/csv.h"

#include <set>

#include "core/error.h"
#include "core/fs.h"

namespace galien {
namespace {

// Splits `text` into records one at a time; field contents are never put in messages because a
// field may be a patient identifier.
class CsvScanner {
 public:
  CsvScanner(std::string_view text, const std::string& path) : text_(text), path_(path) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  bool done() const { return pos_ >= text_.size(); }

  // Reads the next record; returns false (consuming the line) for a blank line.
  bool next(CsvRow& row) {
    row.line = line_;
    row.fields.assign(1, std::string());
    if (at_line_end()) {
      consume_line_end();
      return false;
    }
    while (true) {
      if (!done() && text_[pos_] == '"') {
        read_quoted(row.fields.back(), row.line);
      } else {
        read_plain(row.fields.back());
      }
      if (done()) return true;
      if (text_[pos_] == ',') {
        ++pos_;
        row.fields.emplace_back();
        continue;
      }
      if (at_line_end()) {
        consume_line_end();
        return true;
      }
      GALIEN_USER_ERROR(path_ << ":" << line_ << ": unexpected character after the closing quote"
                              << " of field " << row.fields.size()
                              << ": a quoted field must end at ',' or the end of the line");
    }
  }

 private:
  bool at_line_end() const {
    if (done()) return true;
    char c = text_[pos_];
    return c == '\n' || (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ||
           (c == '\r' && pos_ + 1 == text_.size());
  }

  void consume_line_end() {
    if (done()) return;
    if (text_[pos_] == '\r') ++pos_;
    if (!done() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  void read_plain(std::string& field) {
    std::size_t start = pos_;
    while (!done() && text_[pos_] != ',' && !at_line_end()) ++pos_;
    field.assign(text_.substr(start, pos_ - start));
  }

  void read_quoted(std::string& field, std::int64_t record_line) {
    std::int64_t open_line = line_;
    ++pos_;  // opening quote
    while (true) {
      if (done()) {
        GALIEN_USER_ERROR(path_ << ":" << open_line << ": quoted field never closed (record starts"
                                << " at line " << record_line << "): add the closing '\"'");
      }
      char c = text_[pos_++];
      if (c == '"') {
        if (done() || text_[pos_] != '"') return;
        ++pos_;  // "" is an escaped quote
      } else if (c == '\n') {
        ++line_;
      }
      field.push_back(c);
    }
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
};

void check_header(const CsvTable& table, std::int64_t line) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    const std::string& name = table.header[i];
    if (name.empty()) {
      GALIEN_USER_ERROR(table.path << ":" << line << ": column " << i + 1
                                   << " has an empty name: give every column a header name");
    }
    if (!seen.insert(name).second) {
      GALIEN_USER_ERROR(table.path << ":" << line << ": column '" << name
                                   << "' appears twice in the header: rename one of them");
    }
  }
}

}  // namespace

int CsvTable::column_index(const std::string& column) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == column) return static_cast<int>(i);
  }
  return -1;
}

CsvTable parse_csv(std::string_view text, const std::string& path) {
  CsvTable table;
  table.path = path;
  CsvScanner scanner(text, path);
  CsvRow row;
  bool have_header = false;
  while (!scanner.done()) {
    if (!scanner.next(row)) continue;
    if (!have_header) {
      table.header = std::move(row.fields);
      check_header(table, row.line);
      have_header = true;
      continue;
    }
    if (row.fields.size() != table.header.size()) {
      GALIEN_USER_ERROR(path << ":" << row.line << ": expected " << table.header.size()
                             << " fields, found " << row.fields.size()
                             << " (quote fields that contain commas)");
    }
    table.rows.push_back(std::move(row));
  }
  if (!have_header) GALIEN_USER_ERROR(path << ": empty file, expected a header row");
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

}  // namespace galien
