#include "mcp/protocol/call_context.hpp"

#include "mcp/protocol/json_rpc.hpp"

namespace weir::mcp::protocol {

CallContext::CallContext(std::shared_ptr<CallCancellation> cancellation, nlohmann::json progress_token,
                         std::shared_ptr<Outbox> outbox, const std::atomic<int>& log_level, std::string logger)
    : cancellation_(std::move(cancellation)),
      progress_token_(std::move(progress_token)),
      outbox_(std::move(outbox)),
      log_level_(log_level),
      logger_(std::move(logger)) {}

void CallContext::progress(double progress, std::optional<double> total, const std::string& message) {
  if (!wants_progress() || cancelled()) return;
  json params = {{"progressToken", progress_token_}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = message;
  outbox_->send(make_notification("notifications/progress", std::move(params)));
}

void CallContext::log(LogLevel level, const nlohmann::json& data) {
  if (static_cast<int>(level) < log_level_.load(std::memory_order_relaxed)) return;
  outbox_->send(make_notification("notifications/message",
                                  {{"level", to_string(level)}, {"logger", logger_}, {"data", data}}));
}

}  // namespace weir::mcp::protocol
