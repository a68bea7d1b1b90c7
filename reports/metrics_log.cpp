#include "reports/metrics_log.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"

namespace galien {

MetricsLog read_metrics_log(const std::string& path) {
  std::istringstream in(read_file(path));
  std::map<double, std::map<std::string, double>> by_epoch;
  MetricsLog log;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      GALIEN_USER_ERROR(path << ":" << number << ": not JSON (error at byte " << e.byte
                             << "); each line must be one JSON object, as galien train writes");
    }
    if (!record.is_object())
      GALIEN_USER_ERROR(path << ":" << number << ": a JSON " << record.type_name()
                             << ", not an object; each line must be one epoch's record");
    const auto epoch = record.find("epoch");
    if (epoch == record.end() || !epoch->is_number())
      GALIEN_USER_ERROR(path << ":" << number << ": no numeric \"epoch\" in the record");
    std::map<std::string, double> values;
    for (const auto& [key, value] : record.items()) {
      if (key == "epoch" || key == "final") continue;
      if (value.is_null()) {
        values[key] = std::nan("");
      } else if (value.is_number()) {
        values[key] = value.get<double>();
      } else {
        GALIEN_USER_ERROR(path << ":" << number << ": \"" << key << "\" is a JSON "
                               << value.type_name() << "; metrics must be numbers or null");
      }
    }
    const auto final_mark = record.find("final");
    if (final_mark != record.end() && final_mark->is_number() && final_mark->get<double>() != 0) {
      log.final_metrics = std::move(values);
      continue;
    }
    by_epoch[epoch->get<double>()] = std::move(values);  // a later record of an epoch wins
  }
  if (by_epoch.empty())
    GALIEN_USER_ERROR(path << " holds no epoch record: the run stopped before its first epoch "
                           << "ended, or this is not a metrics.jsonl");
  for (const auto& [epoch, values] : by_epoch)
    for (const auto& [key, v] : values) log.values.emplace(key, std::vector<double>());
  for (auto& [key, column] : log.values) column.assign(by_epoch.size(), std::nan(""));
  std::size_t row = 0;
  for (const auto& [epoch, values] : by_epoch) {
    log.epoch.push_back(epoch);
    for (const auto& [key, v] : values) log.values[key][row] = v;
    ++row;
  }
  return log;
}

}  // namespace galien
