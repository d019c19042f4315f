#include "core/net/keep_alive_ticker.hpp"

#include <algorithm>

namespace weir::http {

KeepAliveTicker::~KeepAliveTicker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<KeepAliveTicker::Registration> KeepAliveTicker::add(SseStream& stream) {
  if (interval_.count() <= 0) return std::make_unique<Registration>(nullptr, nullptr);
  std::lock_guard lock(mutex_);
  streams_.insert(&stream);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  return std::make_unique<Registration>(this, &stream);
}

KeepAliveTicker::Registration::~Registration() {
  if (!ticker_) return;
  std::unique_lock lock(ticker_->mutex_);
  ticker_->streams_.erase(stream_);
  ticker_->changed_.wait(lock, [this] { return ticker_->pinging_ != stream_; });
}

void KeepAliveTicker::loop() {
  auto period = std::max(std::chrono::milliseconds(10), std::min(interval_ / 3, std::chrono::milliseconds(1000)));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    changed_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    std::vector<SseStream*> due;
    for (auto* stream : streams_)
      if (stream->idle_for() >= interval_) due.push_back(stream);
    for (auto* stream : due) {
      if (!streams_.count(stream)) continue;  // gone while we pinged another
      pinging_ = stream;
      lock.unlock();
      stream->comment("keep-alive");
      lock.lock();
      pinging_ = nullptr;
      changed_.notify_all();
    }
  }
}

}  // namespace weir::http
