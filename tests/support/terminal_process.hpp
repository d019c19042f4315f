// Runs the built `weir` binary on a pseudo-terminal, as a person at a
// terminal would, for tests of what only a terminal gets (the REPL's line
// editing, the spinner, Ctrl-C typed as a key).
//
// The child's standard input, output and error are all the terminal's slave
// side (80x24, TERM=xterm, NO_COLOR=1 plus `environment`); the test types
// bytes (keys, escape sequences such as "\x1b[D" for left-arrow, "\x03" for
// Ctrl-C, which the terminal turns into SIGINT) and reads everything the
// child wrote to any of them, in one stream, as the terminal shows it.
// Tests synchronise on that output, never on time: wait_for() returns once
// the text appears after the previous match, or false after the timeout.
// The destructor kills a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace weir::testing {

class TerminalProcess {
 public:
  TerminalProcess(const std::vector<std::string>& arguments, const std::map<std::string, std::string>& environment);
  ~TerminalProcess();
  TerminalProcess(const TerminalProcess&) = delete;
  TerminalProcess& operator=(const TerminalProcess&) = delete;

  void type(const std::string& keys);
  // True once `text` appears in the output after the end of the previous
  // match (so a second wait for "> " waits for the next prompt).
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // wait_for(prompt), then until the child has taken the terminal out of
  // line-by-line mode (a line editor reading keys): keys typed before that
  // may be flushed by the switch.
  bool wait_for_prompt(const std::string& prompt, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the child to end (reading its last output); its exit code, or
  // 128 + signal, or -1 when it was still running at the timeout (then killed).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything written so far.
  const std::string& output() const { return output_; }

 private:
  // Reads what is available within `timeout`; false once the terminal closed.
  bool read_some(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int master_fd_ = -1;
  bool closed_ = false;
  std::string output_;
  std::size_t matched_ = 0;
};

}  // namespace weir::testing
