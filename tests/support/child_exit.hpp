// Waiting for a child process to end, with a deadline, without polling.
//
// wait_for_child_exit() blocks until the child `pid` ends or `timeout`
// passes, woken by the kernel (a pidfd becomes readable when its process
// ends) rather than by retrying waitpid on a timer. On an end it reaps the
// child and returns its exit code, or 128 + the signal that ended it; on a
// timeout it returns std::nullopt and leaves the child running and unreaped.
// Called from the thread that owns the child; one waiter per child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace weir::testing {

std::optional<int> wait_for_child_exit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace weir::testing
