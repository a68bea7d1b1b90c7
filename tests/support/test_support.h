// Helpers shared by the GoogleTest suites: the message of an expected UserError, substring
// checks, and running the real `galien` executable.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

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
