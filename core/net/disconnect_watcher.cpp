#include "core/net/disconnect_watcher.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace weir::http {

namespace {
constexpr uint64_t kWakeId = 0;
}

DisconnectWatcher::DisconnectWatcher() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw Error(ErrorKind::runtime, std::string("cannot watch connections: ") + std::strerror(errno));
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  thread_ = std::thread([this] { loop(); });
}

DisconnectWatcher::~DisconnectWatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

uint64_t DisconnectWatcher::watch(int fd, std::function<void()> on_gone) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  epoll_event event{};
  event.events = EPOLLRDHUP | EPOLLHUP | EPOLLERR | EPOLLONESHOT;
  event.data.u64 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) return 0;  // not watchable: writes still notice
  watches_.emplace(id, Watch{fd, std::move(on_gone)});
  return id;
}

void DisconnectWatcher::unwatch(uint64_t id) {
  if (id == 0) return;
  std::unique_lock lock(mutex_);
  auto found = watches_.find(id);
  if (found != watches_.end()) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, found->second.fd, nullptr);
    watches_.erase(found);
  }
  callback_done_.wait(lock, [&] { return running_id_ != id; });
}

void DisconnectWatcher::loop() {
  epoll_event events[64];
  while (true) {
    int count = ::epoll_wait(epoll_fd_, events, 64, -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int index = 0; index < count; ++index) {
      auto id = events[index].data.u64;
      std::function<void()> callback;
      {
        std::lock_guard lock(mutex_);
        if (id == kWakeId) {
          if (stopping_) return;
          continue;
        }
        auto found = watches_.find(id);
        if (found == watches_.end()) continue;  // unwatched while the event was on its way
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, found->second.fd, nullptr);
        callback = std::move(found->second.on_gone);
        watches_.erase(found);
        running_id_ = id;
      }
      if (callback) callback();
      {
        std::lock_guard lock(mutex_);
        running_id_ = 0;
      }
      callback_done_.notify_all();
    }
  }
}

}  // namespace weir::http
