// Writing bash: words that reach a job script go through shell_quote, so a path or an override
// value with spaces, brackets or quotes arrives as one argument, unchanged.
#pragma once

#include <string>
#include <vector>

namespace galien::slurm {

// `text` as one bash word: unchanged when it has only safe characters, else single-quoted.
std::string shell_quote(const std::string& text);
// Words quoted and joined by spaces.
std::string shell_words(const std::vector<std::string>& words);

}  // namespace galien::slurm
