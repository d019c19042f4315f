#include "mcp/tool_call_recorder.hpp"

#include <iostream>

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/tool_call_log.hpp"

namespace weir::mcp {

std::function<void(const protocol::FinishedCall&)> tool_call_recorder(DatabasePool& pool, std::string front_door,
                                                                      std::string caller) {
  return [&pool, front_door = std::move(front_door), caller = std::move(caller)](const protocol::FinishedCall& call) {
    ToolCallRecord record;
    record.created_at = now_milliseconds();
    record.front_door = front_door;
    record.tool = call.tool->name;
    record.source = call.tool->source.empty() ? "weir" : call.tool->source;
    record.caller = caller;
    record.status = call.cancelled ? "cancelled" : call.is_error ? "error" : "ok";
    record.latency_ms = call.milliseconds;
    record.arguments_bytes = static_cast<int64_t>(call.arguments_bytes);
    record.result_bytes = static_cast<int64_t>(call.result_bytes);
    record.error = call.error;
    try {
      auto database = pool.acquire();
      ToolCallLog(*database).record(record);
    } catch (const std::exception& error) {
      std::cerr << "weir: the call of tool '" << record.tool << "' was not logged: " << error.what() << std::endl;
    }
  };
}

}  // namespace weir::mcp
