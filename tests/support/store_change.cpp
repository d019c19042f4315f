#include "tests/support/store_change.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <stdexcept>

namespace weir::testing {

namespace {

class DirectoryWatch {
 public:
  explicit DirectoryWatch(const std::string& directory) : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    if (fd_ < 0 || ::inotify_add_watch(fd_, directory.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE) < 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot watch " + directory + " for changes");
    }
  }
  ~DirectoryWatch() { ::close(fd_); }
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;

  // Blocks until something in the directory changed or `timeout` passed;
  // forgets every change reported so far.
  void wait(std::chrono::milliseconds timeout) {
    pollfd changed{fd_, POLLIN, 0};
    if (::poll(&changed, 1, static_cast<int>(timeout.count())) <= 0) return;
    alignas(inotify_event) char events[4096];
    while (::read(fd_, events, sizeof events) > 0) {
    }
  }

 private:
  int fd_;
};

}  // namespace

bool wait_for_store(const std::string& home, const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout) {
  // Watching starts before the first check, so a write between a check and
  // the wait that follows it still wakes the wait.
  DirectoryWatch watch(home);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    watch.wait(left);
  }
  return true;
}

}  // namespace weir::testing
