// A tool as the MCP server offers it: its definition for `tools/list` and the
// result a call returns.
//
// Contract: a tool failure the model can act on (bad arguments, an upstream
// that is down, a limit) is a ToolResult with is_error and a message saying
// what to do; only faults of the request itself are JSON-RPC errors
// (ProtocolError). structured_content, when set, must match output_schema.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace weir::mcp::protocol {

struct ToolDefinition {
  std::string name;         // unique; [A-Za-z0-9_.-], 1..128 characters
  std::string title;        // for people; sent from protocol 2025-06-18
  std::string description;  // for the model
  nlohmann::json input_schema = {{"type", "object"}};
  nlohmann::json output_schema = nullptr;  // sent from 2025-06-18, when set
  nlohmann::json annotations = nullptr;    // hints (readOnlyHint...), from 2025-03-26
  std::string source;  // who answers it, for logs ("MCP server 'files'"); never sent
  std::string source_name;  // its name there, when weir serves it under another ("" : the same)
};

// One call as it ended, for whoever records calls (SessionOptions::on_call_finished).
struct FinishedCall {
  const ToolDefinition* tool = nullptr;
  size_t arguments_bytes = 0;
  size_t result_bytes = 0;     // the result as sent (0 when none was: cancelled)
  bool is_error = false;       // an isError result or a JSON-RPC error
  bool cancelled = false;      // by the client: no response was sent
  std::string error;           // the message of an isError result or a JSON-RPC error
  double milliseconds = 0;
};

struct ToolResult {
  nlohmann::json content = nlohmann::json::array();
  nlohmann::json structured_content = nullptr;
  bool is_error = false;

  static ToolResult text(const std::string& text);
  static ToolResult error(const std::string& message);
};

}  // namespace weir::mcp::protocol
