#include "launcher/reproduce/verdict.h"

#include <cmath>
#include <cstdio>

namespace galien {
namespace {

std::string number(double value, int digits = 4) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

}  // namespace

Verdict judge(const PublishedConfig& published, const FigureSummary& achieved) {
  Verdict v;
  v.difference = achieved.mean - published.value;
  if (published.comparison == "at_least") {
    v.pass = achieved.mean >= published.value - published.tolerance;
    v.rule = "achieved >= " + number(published.value) + " - " + number(published.tolerance);
  } else {
    v.pass = std::abs(v.difference) <= published.tolerance;
    v.rule = "abs(achieved - " + number(published.value) + ") <= " + number(published.tolerance);
  }
  if (std::isnan(achieved.mean)) v.pass = false;
  return v;
}

std::string verdict_table(const PublishedConfig& published, const FigureSummary& achieved,
                          const Verdict& verdict) {
  std::string achieved_text = number(achieved.mean);
  if (achieved.n > 1)
    achieved_text += " +- " + number(achieved.sd) + " (95% CI " + number(achieved.ci_low) + "-" +
                     number(achieved.ci_high) + ", n=" + std::to_string(achieved.n) + ")";
  std::string table;
  table += "| metric | published | achieved | difference | rule | result |\n";
  table += "|---|---|---|---|---|---|\n";
  table += "| " + published.metric + " | " + number(published.value) + " | " + achieved_text +
           " | " + (verdict.difference >= 0 ? "+" : "") + number(verdict.difference) + " | " +
           verdict.rule + " | " + (verdict.pass ? "PASS" : "FAIL") + " |\n";
  return table;
}

}  // namespace galien
