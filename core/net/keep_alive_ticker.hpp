// KeepAliveTicker — writes ": keep-alive" comments into SSE streams that have
// been silent for `interval`, so proxies and clients with idle timeouts do not
// drop a stream while the model thinks (or a tool runs).
//
// One thread serves every stream; it starts with the first stream and checks
// about three times per interval. Contract: a stream is pinged only between
// add() and the destruction of the returned Registration, which waits for a
// ping in progress, so the stream may be destroyed right after. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/net/sse_stream.hpp"

namespace weir::http {

class KeepAliveTicker {
 public:
  explicit KeepAliveTicker(std::chrono::milliseconds interval) : interval_(interval) {}
  ~KeepAliveTicker();
  KeepAliveTicker(const KeepAliveTicker&) = delete;
  KeepAliveTicker& operator=(const KeepAliveTicker&) = delete;

  class Registration {
   public:
    Registration(KeepAliveTicker* ticker, SseStream* stream) : ticker_(ticker), stream_(stream) {}
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    KeepAliveTicker* ticker_;
    SseStream* stream_;
  };

  std::unique_ptr<Registration> add(SseStream& stream);

 private:
  void loop();
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<SseStream*> streams_;
  SseStream* pinging_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weir::http
