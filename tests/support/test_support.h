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
