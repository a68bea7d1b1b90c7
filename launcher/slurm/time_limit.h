// Slurm time limits: what `--time` accepts ("90", "2:00:00", "1-12", "100:00:00") as seconds,
// and back to the "HH:MM:SS" form job scripts use (hours may exceed 24, Slurm accepts it).
#pragma once

#include <optional>
#include <string>

namespace galien::slurm {

// nullopt when `text` is not one of Slurm's forms: "MM", "MM:SS", "HH:MM:SS", "D-HH",
// "D-HH:MM", "D-HH:MM:SS". Zero and "infinite" are refused: a job needs a real limit.
std::optional<long> parse_time_limit(const std::string& text);

std::string format_time_limit(long seconds);  // "20:00:00", "100:00:00", "00:30:00"

}  // namespace galien::slurm
