// galien audit DATA.csv --quasi-identifiers age,sex,postcode [--k-min 5] [--generalise ...]:
//   the re-identification risk analysis of `galien shard`'s gate, on its own.
// galien audit verify-log FILE [--expect-head SHA256]: checks a hash-chained audit log.
// Exit codes: 0 k >= k_min / log intact; 3 k < k_min / log broken; 2 bad input (docs/PRIVACY.md).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "core/error.h"
#include "datasets/csv.h"
#include "launcher/commands/commands.h"
#include "privacy/audit_log.h"
#include "privacy/cell.h"
#include "privacy/risk_gate.h"

namespace galien::commands {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kCheckFailed = 3;

struct AuditOptions {
  std::string csv;
  std::vector<std::string> quasi_identifiers;
  int k_min = 5;
  std::vector<std::string> generalise;
  std::string patient_id;
  bool json = false;
};

struct VerifyOptions {
  std::string file;
  std::string expect_head;
};

int column_of(const CsvTable& csv, const std::string& column, const char* option) {
  const int index = csv.column_index(column);
  if (index < 0) {
    std::string header;
    for (const std::string& name : csv.header) header += (header.empty() ? "" : ", ") + name;
    GALIEN_USER_ERROR(option << " names column '" << column << "', which is not in " << csv.path
                             << " (columns: " << header << ")");
  }
  return index;
}

std::vector<std::string> cells(const CsvTable& csv, int index) {
  std::vector<std::string> out;
  for (const CsvRow& row : csv.rows) {
    const std::string& cell = row.fields[static_cast<std::size_t>(index)];
    out.emplace_back(is_missing_cell(cell) ? std::string_view() : trim_cell(cell));
  }
  return out;
}

// Raw and generalised columns; a rule must name one of the quasi-identifiers.
std::vector<QuasiIdentifier> quasi_identifiers(const CsvTable& csv, const AuditOptions& options) {
  std::vector<Generalisation> rules = parse_generalisations(options.generalise, "--generalise");
  std::vector<std::int64_t> lines;
  for (const CsvRow& row : csv.rows) lines.push_back(row.line);
  std::vector<QuasiIdentifier> quasi;
  for (const std::string& column : options.quasi_identifiers) {
    QuasiIdentifier q;
    q.column = column;
    q.raw = cells(csv, column_of(csv, column, "--quasi-identifiers"));
    q.released = q.raw;
    quasi.push_back(std::move(q));
  }
  for (const Generalisation& rule : rules) {
    auto it = std::find_if(quasi.begin(), quasi.end(),
                           [&](const QuasiIdentifier& q) { return q.column == rule.column; });
    if (it == quasi.end()) {
      GALIEN_USER_ERROR("--generalise: '" << rule.text() << "' names a column that is not in "
                                          << "--quasi-identifiers");
    }
    it->rule = rule;
    it->released = generalise_column(rule, it->raw, lines, csv.path);
  }
  return quasi;
}

std::string figure(const Json& value) {
  if (!value.is_number_float()) return value.dump();
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value.get<double>());
  return text;
}

void print_table(const RiskAnalysis& analysis) {
  const Json before = risk_json(analysis.before), after = risk_json(analysis.after);
  std::printf("%-40s %14s %14s\n", "", "source", "generalised");
  for (const auto& [key, value] : before.items()) {
    if (key == "k_min") continue;
    std::printf("%-40s %14s %14s\n", key.c_str(), figure(value).c_str(),
                figure(after[key]).c_str());
  }
}

int run_audit(const AuditOptions& options) {
  if (options.csv.empty()) {
    GALIEN_USER_ERROR("audit: name a CSV table (galien audit DATA.csv --quasi-identifiers ...) "
                      "or use galien audit verify-log FILE");
  }
  if (options.quasi_identifiers.empty())
    GALIEN_USER_ERROR("audit: --quasi-identifiers is required, e.g. age,sex,postcode");
  CsvTable csv = read_csv(options.csv);
  std::vector<QuasiIdentifier> quasi = quasi_identifiers(csv, options);
  // Patients only group records; their ids stay in memory and are never printed.
  std::vector<std::string> patients;
  if (options.patient_id.empty()) {
    for (const CsvRow& row : csv.rows) patients.push_back("row:" + std::to_string(row.line));
  } else {
    patients = cells(csv, column_of(csv, options.patient_id, "--patient-id"));
  }
  RiskAnalysis analysis = analyse_quasi_identifiers(quasi, patients, options.k_min);
  const bool passes = analysis.after.passes();
  if (options.json) {
    Json rules = Json::array();
    for (const QuasiIdentifier& q : quasi)
      if (q.rule) rules.push_back(q.rule->text());
    Json out = {{"source_file", csv.path}, {"quasi_identifiers", options.quasi_identifiers},
                {"generalisations", rules},  {"k_min", options.k_min},
                {"before", risk_json(analysis.before)}, {"after", risk_json(analysis.after)},
                {"passes", passes}};
    if (analysis.suggestion) out["suggestion"] = suggestion_json(*analysis.suggestion);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << csv.path << ": " << analysis.after.records << " records, "
              << analysis.after.patients << " patients (values are not shown)\n";
    std::cout.flush();
    print_table(analysis);
    if (passes) {
      std::cout << "passes: k = " << analysis.after.k << " >= k_min = " << options.k_min << "\n";
    } else {
      std::cout << "fails: " << describe_gate_failure(quasi, analysis) << "\n";
    }
  }
  return passes ? 0 : kCheckFailed;
}

int run_verify_log(const VerifyOptions& options) {
  AuditLogCheck check = verify_audit_log(options.file);
  if (!check.ok) {
    std::cout << options.file << ":" << check.bad_line << ": broken: " << check.problem << " ("
              << check.entries << (check.entries == 1 ? " entry" : " entries")
              << " before it intact)\n";
    return kCheckFailed;
  }
  std::cout << options.file << ": " << check.entries
            << (check.entries == 1 ? " entry" : " entries") << ", hash chain intact; head "
            << check.head_sha256 << "\n";
  if (!options.expect_head.empty() && options.expect_head != check.head_sha256) {
    std::cout << options.file << ": head differs from --expect-head " << options.expect_head
              << ": entries were removed from the end or the log was rewritten\n";
    return kCheckFailed;
  }
  return 0;
}

}  // namespace

Runner add_audit(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "audit", "Re-identification risk (k-anonymity) of a table, or check an audit log");
  cmd->footer("Exit codes: 0 k >= k_min (verify-log: chain intact), 3 k < k_min (verify-log: "
              "broken), 2 bad input. See docs/PRIVACY.md.");
  auto audit = std::make_shared<AuditOptions>();
  cmd->add_option("data", audit->csv, "CSV table to analyse");
  cmd->add_option("--quasi-identifiers,-q", audit->quasi_identifiers,
                  "Columns an attacker may know, comma-separated: age,sex,postcode")
      ->delimiter(',');
  cmd->add_option("--k-min", audit->k_min, "Smallest equivalence class allowed (default 5)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--generalise", audit->generalise,
                  "Generalisations, comma-separated: age=bands:10,postcode=digits:2,"
                  "admission_date=month (or =year)")
      ->delimiter(',');
  cmd->add_option("--patient-id", audit->patient_id,
                  "Patient column: classes count patients, not rows (default: a patient per row)");
  cmd->add_flag("--json", audit->json, "Print the figures as JSON");

  auto verify = std::make_shared<VerifyOptions>();
  auto* verify_cmd = cmd->add_subcommand("verify-log", "Check an audit log's hash chain");
  verify_cmd->add_option("file", verify->file, "Audit log (JSON lines)")->required();
  verify_cmd->add_option("--expect-head", verify->expect_head,
                         "SHA-256 of the last entry, kept elsewhere: detects a cut-off tail");
  return [audit, verify, verify_cmd] {
    return verify_cmd->parsed() ? run_verify_log(*verify) : run_audit(*audit);
  };
}

}  // namespace galien::commands
