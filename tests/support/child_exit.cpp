#include "tests/support/child_exit.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace weir::testing {

namespace {

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::optional<int> reap_if_ended(pid_t pid) {
  int status = 0;
  pid_t reaped = ::waitpid(pid, &status, WNOHANG);
  if (reaped == pid) return exit_code_of(status);
  if (reaped < 0) throw std::runtime_error("waitpid(" + std::to_string(pid) + ") failed: errno " + std::to_string(errno));
  return std::nullopt;
}

}  // namespace

std::optional<int> wait_for_child_exit(pid_t pid, std::chrono::milliseconds timeout) {
  // Through syscall(): Debian 12's <sys/pidfd.h> declares pidfd_open without
  // C linkage, so C++ cannot link against it.
  auto process_fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (process_fd < 0) {
    // Only a child that already ended and was reaped has no pidfd; report
    // what waitpid knows.
    return reap_if_ended(pid);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<int> exit_code;
  while (!(exit_code = reap_if_ended(pid))) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd ended{process_fd, POLLIN, 0};
    int ready = ::poll(&ended, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
  }
  ::close(process_fd);
  return exit_code;
}

}  // namespace weir::testing
