#include "tests/support/terminal_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "tests/support/weir_process.hpp"

namespace weir::testing {

namespace {
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}
}  // namespace

TerminalProcess::TerminalProcess(const std::vector<std::string>& arguments,
                                 const std::map<std::string, std::string>& environment) {
  // Built before the fork: the child only calls async-signal-safe functions.
  auto with_terminal = environment;
  with_terminal.try_emplace("TERM", "xterm");
  ChildCommand command(arguments, with_terminal);

  struct winsize size {};
  size.ws_row = 24;
  size.ws_col = 80;
  pid_ = forkpty(&master_fd_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    execve(command.argv()[0], command.argv(), command.envp());
    _exit(127);
  }
  fcntl(master_fd_, F_SETFD, FD_CLOEXEC);
}

TerminalProcess::~TerminalProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (master_fd_ >= 0) close(master_fd_);
}

void TerminalProcess::type(const std::string& keys) {
  std::size_t written = 0;
  while (written < keys.size()) {
    auto count = write(master_fd_, keys.data() + written, keys.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) throw std::runtime_error("cannot type on the terminal");
    written += static_cast<std::size_t>(count);
  }
}

bool TerminalProcess::read_some(std::chrono::milliseconds timeout) {
  if (closed_) return false;
  struct pollfd poll_fd {master_fd_, POLLIN, 0};
  int ready = poll(&poll_fd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return true;
  char buffer[4096];
  auto count = read(master_fd_, buffer, sizeof buffer);
  if (count > 0) {
    output_.append(buffer, static_cast<std::size_t>(count));
    return true;
  }
  if (count < 0 && errno == EINTR) return true;
  closed_ = true;  // EIO: every slave descriptor is closed, the child is ending
  return false;
}

bool TerminalProcess::wait_for(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto found = output_.find(text, matched_);
    if (found != std::string::npos) {
      matched_ = found + text.size();
      return true;
    }
    if (closed_ || Clock::now() >= deadline) return false;
    read_some(left_until(deadline));
  }
}

bool TerminalProcess::wait_for_prompt(const std::string& prompt, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  if (!wait_for(prompt, timeout)) return false;
  while (true) {
    // The master reports the slave's modes: the editor's switch is observed,
    // between short waits for more output.
    struct termios modes {};
    if (tcgetattr(master_fd_, &modes) == 0 && !(modes.c_lflag & ICANON)) return true;
    if (closed_ || Clock::now() >= deadline) return false;
    read_some(std::min(left_until(deadline), std::chrono::milliseconds(2)));
  }
}

int TerminalProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!closed_ && Clock::now() < deadline) read_some(left_until(deadline));
  if (!closed_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace weir::testing
