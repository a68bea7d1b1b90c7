#include "privacy/report.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/fs.h"

namespace galien {
namespace {

using Json = nlohmann::ordered_json;

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value.get<double>());
    return text;
  }
  if (value.is_array()) {
    std::string joined;
    for (const Json& item : value) joined += (joined.empty() ? "" : ", ") + text_of(item);
    return joined.empty() ? "none" : joined;
  }
  return value.dump();
}

std::string field(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) ? text_of(object[key]) : "-";
}

void identifiers_section(std::ostream& out, const Json& r) {
  out << "## Direct identifiers and patient IDs\n\n"
      << "- Dropped columns (data.drop, never read into an output): "
      << field(r, "dropped_columns") << "\n"
      << "- Patient IDs: " << field(r, "pseudonymisation") << "\n";
  if (r.contains("rejected_rows") && !r["rejected_rows"].empty())
    out << "- Rows left out: " << r["rejected_rows"].dump() << "\n";
  out << "\n";
}

void dates_section(std::ostream& out, const Json& dates) {
  out << "## Dates\n\n- Date columns (data.dates): " << field(dates, "columns") << "\n"
      << "- Policy (privacy.dates): " << field(dates, "policy") << "\n";
  if (dates.contains("shift")) out << "- Shift: " << field(dates, "shift") << "\n";
  out << "- Written as: " << field(dates, "feature") << "\n\n";
}

void free_text_section(std::ostream& out, const Json& free_text) {
  out << "## Free text\n\n- Declared (data.free_text): " << field(free_text, "declared") << "\n"
      << "- Allowed into the shards (privacy.allow_free_text): " << field(free_text, "allowed")
      << "\n";
  if (free_text.contains("reason")) out << "- Reason: " << field(free_text, "reason") << "\n";
  out << "\n";
}

void risk_row(std::ostream& out, const std::string& label, const Json& risk, const char* key) {
  out << "| " << label << " | " << field(risk.value("before", Json()), key) << " | "
      << field(risk.value("after", Json()), key) << " |\n";
}

void risk_section(std::ostream& out, const Json& risk) {
  out << "## Re-identification risk (k-anonymity, prosecutor model)\n\n"
      << "- Quasi-identifiers (privacy.quasi_identifiers): " << field(risk, "quasi_identifiers")
      << "\n- Generalisations applied to them: " << field(risk, "generalisations")
      << "\n- Withheld from the release (data.drop): " << field(risk, "withheld_columns")
      << "\n- k_min (privacy.k_min): " << field(risk, "k_min")
      << "\n- Decision: **" << field(risk, "decision") << "**\n";
  if (risk.contains("override_reason"))
    out << "- Override reason (privacy.override_k.reason): " << field(risk, "override_reason")
        << "\n";
  if (risk.contains("suggestion")) {
    const Json& s = risk["suggestion"];
    out << "- Suggested next generalisation: `" << field(s, "add_generalisation")
        << "` (k would be " << field(s, "k") << ")\n";
  }
  if (risk.contains("before")) {
    out << "\n| measure | before generalisation | as written |\n|---|---|---|\n";
    risk_row(out, "records", risk, "records");
    risk_row(out, "patients", risk, "patients");
    risk_row(out, "equivalence classes", risk, "equivalence_classes");
    risk_row(out, "k (patients in the smallest class)", risk, "k");
    risk_row(out, "records in classes below k_min", risk, "records_in_classes_below_k_min");
    risk_row(out, "share of records below k_min", risk, "share_of_records_below_k_min");
    risk_row(out, "unique records (class of one patient)", risk, "unique_records");
    risk_row(out, "prosecutor risk, max (1/k)", risk, "prosecutor_risk_max");
    risk_row(out, "prosecutor risk, mean", risk, "prosecutor_risk_mean");
  }
  out << "\n" << field(risk, "note") << ".\n\n";
}

void split_section(std::ostream& out, const Json& r) {
  if (!r.contains("patients_per_split")) return;
  out << "## Split\n\n- Patients per split: " << r["patients_per_split"].dump() << "\n";
  if (r.contains("samples_per_split"))
    out << "- Samples per split: " << r["samples_per_split"].dump() << "\n";
  out << "- Patients in more than one split: " << field(r, "patients_in_more_than_one_split")
      << " (verified on the output: " << field(r, "split_disjointness_verified") << ")\n\n";
  if (r.contains("event_coding") && r["event_coding"].is_object()) {
    const Json& e = r["event_coding"];
    out << "## Event coding (data.event_values, data.censored_values)\n\n- Column "
        << field(e, "column") << ": " << e["event_values"].dump() << " -> 1 (event, "
        << field(e, "events") << " rows), " << e["censored_values"].dump() << " -> 0 (censored, "
        << field(e, "censored") << " rows)\n\n";
  }
  if (r.contains("transforms") && r["transforms"].is_object() && !r["transforms"].empty())
    out << "## Feature transforms (data.transforms)\n\n- " << r["transforms"].dump()
        << ", applied before standardisation\n\n";
}

// data.test_csv (datasets/test_table.h): the second input, released as the test split.
void test_table_section(std::ostream& out, const Json& r) {
  if (!r.contains("test_table") || !r["test_table"].is_object()) return;
  const Json& t = r["test_table"];
  out << "## External test table (data.test_csv)\n\n- File: " << field(t, "file") << " (SHA-256 "
      << field(t, "sha256") << "), " << field(t, "rows") << " rows, all in the test split\n"
      << "- Patient IDs: " << field(t, "pseudonymisation") << "\n";
  if (t.contains("rejected_rows") && !t["rejected_rows"].empty())
    out << "- Rows left out: " << t["rejected_rows"].dump() << "\n";
  if (t.contains("policy") && t["policy"].contains("reidentification_risk")) {
    const Json& risk = t["policy"]["reidentification_risk"];
    out << "- Re-identification risk gate on its own rows: **" << field(risk, "decision") << "**";
    if (risk.contains("after")) out << ", k = " << field(risk["after"], "k");
    out << " (details: privacy_report.json, test_table.policy)\n";
  }
  out << "\n";
}

}  // namespace

std::string privacy_report_markdown(const Json& r) {
  std::ostringstream out;
  out << "# Privacy report\n\n"
      << "- Status: " << (r.contains("status") ? field(r, "status") : "shards written") << "\n"
      << "- Source: " << field(r, "source_file");
  if (r.contains("source_sha256")) out << " (SHA-256 " << field(r, "source_sha256") << ")";
  if (r.contains("key_id"))
    out << "\n- Key id: " << field(r, "key_id") << " (a fingerprint; the key is not stored)";
  out << "\n\n";
  if (r.contains("pseudonymisation")) identifiers_section(out, r);
  if (r.contains("dates")) dates_section(out, r["dates"]);
  if (r.contains("free_text")) free_text_section(out, r["free_text"]);
  if (r.contains("reidentification_risk")) risk_section(out, r["reidentification_risk"]);
  split_section(out, r);
  test_table_section(out, r);
  out << "Details: privacy_report.json. Policy and measures: docs/PRIVACY.md.\n";
  return out.str();
}

void write_privacy_reports(const std::string& dir, const Json& report) {
  make_directories(dir);
  const std::filesystem::path base(dir);
  write_file_atomic((base / "privacy_report.json").string(), report.dump(2) + "\n");
  write_file_atomic((base / "privacy_report.md").string(), privacy_report_markdown(report));
}

}  // namespace galien
