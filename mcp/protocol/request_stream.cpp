#include "mcp/protocol/request_stream.hpp"

namespace weir::mcp::protocol {

void RequestStream::send(const nlohmann::json& message) {
  {
    std::lock_guard lock(mutex_);
    if (abandoned_ || closed_) return;
    pending_.push_back(message);
  }
  changed_.notify_all();
}

void RequestStream::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

void RequestStream::abandon() {
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    pending_.clear();
  }
  changed_.notify_all();
}

RequestStream::Event RequestStream::next(std::chrono::milliseconds idle_after) {
  std::unique_lock lock(mutex_);
  bool woke = changed_.wait_for(lock, idle_after, [this] { return abandoned_ || !pending_.empty() || closed_; });
  if (!woke) return {Event::Kind::idle, nullptr};
  if (abandoned_) return {Event::Kind::abandoned, nullptr};
  if (!pending_.empty()) {
    Event event{Event::Kind::message, std::move(pending_.front())};
    pending_.pop_front();
    return event;
  }
  return {Event::Kind::closed, nullptr};
}

}  // namespace weir::mcp::protocol
