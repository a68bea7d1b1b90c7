// privacy_report.json and its readable twin privacy_report.md. The Markdown is rendered from
// the JSON, so the two always say the same thing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace galien {

std::string privacy_report_markdown(const nlohmann::ordered_json& report);

// Writes <dir>/privacy_report.json and <dir>/privacy_report.md atomically (creating dir).
void write_privacy_reports(const std::string& dir, const nlohmann::ordered_json& report);

}  // namespace galien
