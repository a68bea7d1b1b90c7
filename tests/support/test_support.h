// Helpers shared by the GoogleTest suites: the message of an expected UserError, substring
// checks, and running the real `galien` executable.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

namespace galien::test {

// The message of the UserError `f` throws; a test failure when it throws none.
template <typename F>
std::string user_error_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UserError thrown";
  return "";
}

// Largest |a[i] - b[i]| (parameters of two runs); a test failure when the sizes differ.
inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  return worst;
}

// Whether `id` appears in `bytes` as a value of its own: an occurrence not inside a longer run
// of letters and digits. A short numeric patient ID ("30005") leaked into a file stands between
// quotes, commas, NULs or newlines; the same digits inside a SHA-256, a salt or a base64 text
// are chance (a 5-digit string turns up in a few percent of runs among the hashes of a
// manifest), not a leak.
inline bool contains_as_value(const std::string& bytes, const std::string& id) {
  auto alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  for (std::size_t at = bytes.find(id); at != std::string::npos; at = bytes.find(id, at + 1)) {
    const bool before = at > 0 && alnum(bytes[at - 1]);
    const bool after = at + id.size() < bytes.size() && alnum(bytes[at + id.size()]);
    if (!before && !after) return true;
  }
  return false;
}

struct Output {
  int code;          // exit status, -1 when killed by a signal
  std::string text;  // stdout and stderr together
};

// Runs `command` (a shell command line) in `directory`.
inline Output run_in(const std::string& directory, const std::string& command) {
  std::string line = "cd " + directory + " && " + command + " 2>&1";
  FILE* pipe = popen(line.c_str(), "r");
  std::string text;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace galien::test
