#include "datasets/imaging/safe_path.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace galien {
namespace {

namespace fs = std::filesystem;

// Letters and digits; bytes of multi-byte UTF-8 characters count as letters.
bool is_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u >= 0x80;
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

std::string word_chars(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (is_word_char(c)) out += c;
  }
  return out;
}

std::string trim(const std::string& text) {
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::vector<std::string> split(const std::string& text, const std::string& separators) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

void add_term(std::vector<std::string>& terms, const std::string& value, std::size_t min_chars) {
  std::string term = lower(trim(value));
  if (word_chars(term).size() < std::max<std::size_t>(min_chars, 1)) return;
  if (std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(term);
}

std::vector<std::string> components(const std::string& relative) {
  std::vector<std::string> parts;
  for (const std::string& part : split(relative, "/")) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

std::vector<std::string> identifier_terms(const std::vector<std::string>& ids,
                                          const std::vector<std::string>& person_names) {
  std::vector<std::string> terms;
  for (const std::string& value : ids) {
    for (const std::string& id : split(value, "\\")) {
      std::string whole = trim(id);
      add_term(terms, whole, 1);
      bool digits = !whole.empty() && std::all_of(whole.begin(), whole.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
      if (digits)
        add_term(terms, whole.substr(std::min(whole.find_first_not_of('0'), whole.size())), 1);
    }
  }
  for (const std::string& value : person_names) {
    for (const std::string& part : split(value, "\\=^")) {
      add_term(terms, part, 2);  // a one-letter initial would redact almost every name
      if (trim(part).find(' ') == std::string::npos) continue;
      for (const std::string& word : split(trim(part), " ")) add_term(terms, word, 3);
    }
  }
  return terms;
}

std::vector<std::string> date_terms(const std::vector<std::string>& dicom_dates) {
  std::vector<std::string> terms;
  for (const std::string& value : dicom_dates) {
    for (const std::string& part : split(value, "\\")) {
      const std::string date = trim(part);
      if (date.size() != 8 ||
          !std::all_of(date.begin(), date.end(), [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      const std::string year = date.substr(0, 4), month = date.substr(4, 2), day = date.substr(6, 2);
      add_term(terms, date, 1);                  // 20100114, 2010-01-14, 2010_01_14
      add_term(terms, day + month + year, 1);    // 14012010, 14-01-2010
      add_term(terms, month + day + year, 1);    // 01142010, 01-14-2010
    }
  }
  return terms;
}

bool holds_identifier(const std::string& component, const std::vector<std::string>& terms) {
  const std::string text = lower(component);
  const std::string packed = word_chars(text);
  std::vector<std::string> words(1);
  for (char c : text) {
    if (is_word_char(c)) {
      words.back() += c;
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  for (const std::string& term : terms) {
    const std::string packed_term = word_chars(term);
    if (packed_term.empty()) continue;
    if (packed_term.size() >= 3) {
      if (text.find(term) != std::string::npos || packed.find(packed_term) != std::string::npos) {
        return true;
      }
    } else if (std::find(words.begin(), words.end(), packed_term) != words.end()) {
      return true;
    }
  }
  return false;
}

std::string relative_path(const std::string& root, const std::string& file) {
  fs::path base = fs::path(root).lexically_normal();
  if (!base.empty() && base.filename().empty()) base = base.parent_path();  // "dir/" -> "dir"
  fs::path path = fs::path(file).lexically_normal();
  fs::path relative = path.lexically_relative(base);
  if (relative.empty() || *relative.begin() == "..") return path.filename().generic_string();
  return relative.generic_string();
}

std::string redacted_path(const std::string& relative, const std::vector<std::string>& terms) {
  std::string out;
  for (const std::string& part : components(relative)) {
    if (!out.empty()) out += '/';
    out += holds_identifier(part, terms) ? kRedacted : part;
  }
  return out;
}

std::string shown_path(const std::string& relative, const std::vector<std::string>& terms,
                       const std::string& setting) {
  return "'" + redacted_path(relative, terms) + "' under " + setting;
}

std::string with_redaction_note(const std::string& message) {
  if (message.find(kRedacted) == std::string::npos) return message;
  return message + " (" + kRedacted +
         ": a folder or file name holding the patient's ID, name "
         "or accession number, or a date of the file)";
}

std::string ranked_file(std::size_t index, std::size_t count, const std::string& relative,
                        const std::string& list, const std::string& setting) {
  std::vector<std::string> parts = components(relative);
  std::size_t depth = parts.empty() ? 0 : parts.size() - 1;
  std::string extension;
  if (!parts.empty()) {
    std::size_t dot = parts.back().rfind('.');
    if (dot != std::string::npos && dot > 0) extension = parts.back().substr(dot + 1);
  }
  bool structural = !extension.empty() && extension.size() <= 4 &&
                    std::all_of(extension.begin(), extension.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                    });
  std::ostringstream text;
  text << "file " << index + 1 << " of " << count << " under " << setting << " (";
  if (depth == 0) {
    text << "directly in it";
  } else {
    text << depth << (depth == 1 ? " folder" : " folders") << " deep";
  }
  text << ", "
       << (extension.empty() ? std::string("no extension")
           : structural      ? "extension ." + extension
                             : std::string("extension not shown"))
       << "; its name is not shown, as names may hold patient identifiers: `" << list
       << " | sed -n '" << index + 1 << "p'` prints it, DIR being " << setting << ")";
  return text.str();
}

}  // namespace galien
