// ToolCallLog — one row per tool call weir's MCP server answered, for `weir
// logs --tools` and `weir usage --by tool`: which tools are used, by whom, how
// often, how slowly, and how they end.
//
// A row is written once the call has ended and its answer has been sent. The
// error text is stored redacted (core/redaction.hpp) and cut at 1,000 bytes:
// a tool's failure may quote what it was sent. Arguments and results
// themselves are never stored, only their sizes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct ToolCallRecord {
  int64_t created_at = 0;  // unix ms, when the call ended
  std::string front_door;  // "mcp" (stdio) or "http"
  std::string tool;        // as the client named it
  std::string source;      // who answered it: "MCP server 'files'", "OpenAPI service 'library'"...
  std::string caller;      // the API key's name; "" : the local user
  std::string status;      // "ok", "error", "cancelled"
  double latency_ms = 0;
  int64_t arguments_bytes = 0;
  int64_t result_bytes = 0;
  std::string error;

  nlohmann::json to_json() const;
};

struct ToolUsageRow {
  std::string tool;
  std::string source;
  int64_t calls = 0;
  int64_t errors = 0;
  int64_t cancelled = 0;
  double average_ms = 0;
  double slowest_ms = 0;
  int64_t arguments_bytes = 0;
  int64_t result_bytes = 0;
  std::vector<std::string> callers;  // who called it ("" : the local user), in order of first call

  nlohmann::json to_json() const;
};

class ToolCallLog {
 public:
  explicit ToolCallLog(Database& database) : database_(database) {}
  void record(const ToolCallRecord& record);
  // Newest first, in [since, until) unix ms; `tool` "" : every tool; limit 0: all.
  std::vector<ToolCallRecord> list(int64_t since, int64_t until, const std::string& tool, int limit);
  // Per tool and source in [since, until), most called first.
  std::vector<ToolUsageRow> usage(int64_t since, int64_t until);
  // Deletes the rows written before `before` (unix ms); how many went.
  int64_t prune(int64_t before);

 private:
  Database& database_;
};

}  // namespace weir
