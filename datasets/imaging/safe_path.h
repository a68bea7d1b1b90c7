// How error and log messages name an input file without letting a patient identifier through
// (docs/imaging.md, "How messages name a DICOM file"). Research exports often name folders and
// files after the patient (name, PatientID, accession number), so a message never prints a path
// as it is:
//   - a file whose identifying values could be read is named by its path relative to the input
//     folder, each component holding one of those values replaced by "<redacted>";
//   - a file whose values could not be read (unreadable, not DICOM) is named by its rank among
//     the sorted input files, its depth and, when it looks structural, its extension.
// The raw values only live in the search terms while a name is built; nothing here stores or
// prints them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace galien {

// What replaces a path component that holds an identifier.
inline constexpr const char* kRedacted = "<redacted>";

// Search terms for identifying values: `ids` (PatientID, AccessionNumber, ...) are taken whole
// (and, for numbers with leading zeros, without them); `person_names` (DICOM PN: components
// separated by '^', groups by '=') give each name part of 2+ characters, and each word of 3+
// characters of a part that has spaces. Multi-valued entries (separated by '\') are split.
// Lower-cased, trimmed, without duplicates; empty values give nothing.
std::vector<std::string> identifier_terms(const std::vector<std::string>& ids,
                                          const std::vector<std::string>& person_names);

// Search terms for the dates of a file (DICOM DA values, "YYYYMMDD"; others give nothing): the
// usual spellings of each, as digits only, which holds_identifier also finds with separators:
// 20100114 (also 2010-01-14, 2010_01_14, 2010.01.14), 14012010 (14-01-2010, 14/01/2010) and
// 01142010 (01-14-2010). A date in a folder name (study or birth date) narrows who the patient is.
std::vector<std::string> date_terms(const std::vector<std::string>& dicom_dates);

// Whether one path component (a folder or file name) holds a term, case-insensitively (ASCII):
// a term of 3+ letters or digits matches when the component contains it, as written or with
// everything but letters and digits removed from both ("PAT-8842" in "pat8842_ct"); a shorter
// term only when it is a whole word of the component ("LI" in "li_wei", not in "clinical").
bool holds_identifier(const std::string& component, const std::vector<std::string>& terms);

// `file` relative to `root`, '/'-separated ("a/b/c.dcm"), lexically (both normalised, trailing
// separators ignored). A file outside `root` gives its file name only.
std::string relative_path(const std::string& root, const std::string& file);

// `relative` with every component that holds a term replaced by kRedacted.
std::string redacted_path(const std::string& relative, const std::vector<std::string>& terms);

// "'a/<redacted>/c.dcm' under SETTING".
std::string shown_path(const std::string& relative, const std::vector<std::string>& terms,
                       const std::string& setting = "data.images.path");

// `message`, followed by what <redacted> stands for when it holds one: once per message, however
// many files it names.
std::string with_redaction_note(const std::string& message);

// For a file whose identifying values are unknown: "file 17 of 230 under SETTING (2 folders
// deep, extension .txt; its name is not shown ...: `LIST | sed -n '17p'` prints it)". `index`
// is 0-based in the sorted list of `count` files, which `list` (a shell command, "DIR" standing
// for SETTING) prints in the same order; `relative` gives only the depth and the extension
// (shown when it is 1-4 ASCII letters: anything else could be part of a name).
std::string ranked_file(std::size_t index, std::size_t count, const std::string& relative,
                        const std::string& list, const std::string& setting = "data.images.path");

}  // namespace galien
