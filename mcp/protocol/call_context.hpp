// CallContext — what a tool handler may do besides computing its result:
// notice cancellation, report progress, and log to the client.
//
// Contract: progress() sends `notifications/progress` only when the caller
// asked for it with a progressToken (wants_progress()); `progress` must grow
// from one notification to the next, and `message` carries text for the
// caller (weir puts streamed answer text there). log() sends
// `notifications/message` when the level is at or above the one the client
// set with `logging/setLevel` (default: warning). Both go to the outbox of the
// request that started the call. All of it is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mcp/protocol/call_cancellation.hpp"
#include "mcp/protocol/log_level.hpp"
#include "mcp/protocol/outbox.hpp"

namespace weir::mcp::protocol {

class CallContext {
 public:
  CallContext(std::shared_ptr<CallCancellation> cancellation, nlohmann::json progress_token,
              std::shared_ptr<Outbox> outbox, const std::atomic<int>& log_level, std::string logger);

  bool cancelled() const { return cancellation_->cancelled(); }
  // See CallCancellation::on_cancel: quick, thread-safe callbacks only.
  void on_cancel(std::function<void()> callback) { cancellation_->on_cancel(std::move(callback)); }

  bool wants_progress() const { return !progress_token_.is_null(); }
  void progress(double progress, std::optional<double> total = std::nullopt, const std::string& message = {});

  void log(LogLevel level, const nlohmann::json& data);

 private:
  std::shared_ptr<CallCancellation> cancellation_;
  nlohmann::json progress_token_;
  std::shared_ptr<Outbox> outbox_;  // the call's own: its notifications travel with its response
  const std::atomic<int>& log_level_;
  std::string logger_;
};

}  // namespace weir::mcp::protocol
