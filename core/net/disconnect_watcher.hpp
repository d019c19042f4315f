// DisconnectWatcher — notices at once when an HTTP client hangs up while its
// request is being worked on, so the upstream call it started can be cancelled.
//
// One thread for the whole server waits (epoll) for EPOLLRDHUP/EPOLLHUP on the
// sockets of requests in progress. A connection thread is busy in its handler
// then and does not read, so without this a hang-up would only be seen at the
// next write — which, before an upstream's first token, may be never.
//
// Contract: watch() arms a one-shot watch and returns its id; `on_gone` runs
// at most once, on the watcher thread. After unwatch(id) returns, `on_gone`
// is neither running nor will it run, so the caller may free what it uses.
// Ids are never reused, so a stale event for a closed and reused descriptor
// cannot reach the new connection. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace weir::http {

class DisconnectWatcher {
 public:
  DisconnectWatcher();
  ~DisconnectWatcher();
  DisconnectWatcher(const DisconnectWatcher&) = delete;
  DisconnectWatcher& operator=(const DisconnectWatcher&) = delete;

  uint64_t watch(int fd, std::function<void()> on_gone);
  void unwatch(uint64_t id);

 private:
  void loop();

  struct Watch {
    int fd;
    std::function<void()> on_gone;
  };
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::condition_variable callback_done_;
  std::map<uint64_t, Watch> watches_;
  uint64_t next_id_ = 1;
  uint64_t running_id_ = 0;  // the watch whose callback runs now
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weir::http
