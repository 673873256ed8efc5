// Child processes for integration tests: the convene program and kcat, run as
// a user would run them. Output goes to files so nothing blocks on a pipe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace convene::testing {

class Process {
 public:
  // Starts `argv` with stdout and stderr sent to `log_prefix`.out/.err and
  // stdin from `stdin_file` (or /dev/null).
  Process(std::vector<std::string> argv, const std::string& log_prefix,
          const std::string& stdin_file = "");
  ~Process();  // SIGKILLs the child if it is still running

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit status, or -signal, or -1000 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_, err_;
};

// Runs `argv` to completion; returns its exit status and fills `out`.
int RunToCompletion(const std::vector<std::string>& argv, std::string* out,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60),
                    const std::string& stdin_file = "");

// Polls `condition` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::string ReadFile(const std::string& path);
std::vector<std::string> Lines(const std::string& text);

}  // namespace convene::testing
