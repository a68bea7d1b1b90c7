// Published figure vs achieved figure: the comparison `galien reproduce` prints and exits on.
#pragma once

#include <string>

#include "core/config/config.h"
#include "launcher/reproduce/statistics.h"

namespace galien {

struct Verdict {
  double difference = 0;  // achieved mean - published value
  bool pass = false;
  std::string rule;       // e.g. "|achieved - 0.975| <= 0.015"
};

// published.comparison within: |mean - value| <= tolerance; at_least: mean >= value - tolerance.
Verdict judge(const PublishedConfig& published, const FigureSummary& achieved);

// The printed table: published | achieved (mean +- sd, 95% CI) | difference | result.
std::string verdict_table(const PublishedConfig& published, const FigureSummary& achieved,
                          const Verdict& verdict);

}  // namespace galien
