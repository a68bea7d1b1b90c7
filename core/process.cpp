#include "core/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>

#include "core/error.h"

namespace galien {
namespace {

volatile pid_t g_child = 0;

// A signal sent to galien (Ctrl-C, a batch system's SIGTERM, Slurm's SIGUSR1) goes to the
// child, which forwards it to the ranks: they checkpoint and stop instead of being orphaned.
extern "C" void forward_signal(int signal_number) {
  if (g_child > 0) ::kill(g_child, signal_number);
}

std::vector<char*> argv_of(const std::vector<std::string>& command) {
  GALIEN_CHECK(!command.empty(), "empty command");
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  return argv;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code_of(status);
}

}  // namespace

std::string self_executable() {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  GALIEN_CHECK(n > 0, "readlink /proc/self/exe");
  return std::string(path, static_cast<std::size_t>(n));
}

int run_and_wait(const std::vector<std::string>& command, const std::string& missing_hint) {
  std::vector<char*> argv = argv_of(command);
  const pid_t pid = ::fork();
  GALIEN_CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::cerr << "galien: error: cannot run " << argv[0]
              << (missing_hint.empty() ? "" : " (" + missing_hint + ")") << "\n";
    ::_exit(127);
  }
  g_child = pid;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT})
    sigaction(signal_number, &action, nullptr);
  const int code = wait_for(pid);
  g_child = 0;
  return code;
}

CommandResult run_command(const std::vector<std::string>& command) {
  std::vector<char*> argv = argv_of(command);
  int pipe_fds[2];
  GALIEN_CHECK(::pipe(pipe_fds) == 0, "pipe failed");
  const pid_t pid = ::fork();
  GALIEN_CHECK(pid >= 0, "fork failed");
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  CommandResult result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  result.code = wait_for(pid);
  return result;
}

}  // namespace galien
