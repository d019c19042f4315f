#include "core/store/tool_call_log.hpp"

#include <algorithm>
#include <map>

#include "core/gateway/identifiers.hpp"
#include "core/redaction.hpp"
#include "core/store/database.hpp"
#include "core/utf8.hpp"

namespace weir {

namespace {

using json = nlohmann::json;

constexpr size_t kMaxErrorBytes = 1000;

}  // namespace

json ToolCallRecord::to_json() const {
  return {{"created_at", format_timestamp(created_at)},
          {"front_door", front_door},
          {"tool", tool},
          {"source", source},
          {"caller", caller.empty() ? json(nullptr) : json(caller)},
          {"status", status},
          {"latency_ms", latency_ms},
          {"arguments_bytes", arguments_bytes},
          {"result_bytes", result_bytes},
          {"error", error.empty() ? json(nullptr) : json(error)}};
}

json ToolUsageRow::to_json() const {
  json who = json::array();
  for (const auto& caller : callers) who.push_back(caller.empty() ? json(nullptr) : json(caller));
  return {{"tool", tool},
          {"source", source},
          {"calls", calls},
          {"errors", errors},
          {"cancelled", cancelled},
          {"average_ms", average_ms},
          {"slowest_ms", slowest_ms},
          {"arguments_bytes", arguments_bytes},
          {"result_bytes", result_bytes},
          {"callers", who}};
}

void ToolCallLog::record(const ToolCallRecord& record) {
  auto insert = database_.prepare(
      "INSERT INTO tool_calls (created_at, front_door, tool, source, caller, status, latency_ms, arguments_bytes,"
      " result_bytes, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  insert.bind(1, record.created_at).bind(2, record.front_door).bind(3, record.tool).bind(4, record.source);
  if (record.caller.empty()) insert.bind_null(5); else insert.bind(5, record.caller);
  insert.bind(6, record.status).bind(7, record.latency_ms).bind(8, record.arguments_bytes).bind(9, record.result_bytes);
  if (record.error.empty())
    insert.bind_null(10);
  else
    insert.bind(10, std::string(utf8_prefix(redact_urls_in_text(record.error), kMaxErrorBytes)));
  insert.run();
}

std::vector<ToolCallRecord> ToolCallLog::list(int64_t since, int64_t until, const std::string& tool, int limit) {
  auto query = database_.prepare(
      "SELECT created_at, front_door, tool, source, caller, status, latency_ms, arguments_bytes, result_bytes, error"
      " FROM tool_calls WHERE created_at >= ?1 AND created_at < ?2 AND (?3 = '' OR tool = ?3)"
      " ORDER BY created_at DESC, id DESC LIMIT ?4");
  query.bind(1, since).bind(2, until).bind(3, tool).bind(4, limit > 0 ? int64_t{limit} : int64_t{-1});
  std::vector<ToolCallRecord> records;
  while (query.step()) {
    ToolCallRecord record;
    record.created_at = query.integer(0);
    record.front_door = query.text(1);
    record.tool = query.text(2);
    record.source = query.text(3);
    record.caller = query.is_null(4) ? "" : query.text(4);
    record.status = query.text(5);
    record.latency_ms = query.real(6);
    record.arguments_bytes = query.integer(7);
    record.result_bytes = query.integer(8);
    record.error = query.is_null(9) ? "" : query.text(9);
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<ToolUsageRow> ToolCallLog::usage(int64_t since, int64_t until) {
  std::vector<ToolUsageRow> rows;
  std::map<std::pair<std::string, std::string>, size_t> index;
  auto totals = database_.prepare(
      "SELECT tool, source, count(*), sum(status = 'error'), sum(status = 'cancelled'), avg(latency_ms),"
      " max(latency_ms), sum(arguments_bytes), sum(result_bytes) FROM tool_calls"
      " WHERE created_at >= ?1 AND created_at < ?2 GROUP BY tool, source ORDER BY count(*) DESC, tool");
  totals.bind(1, since).bind(2, until);
  while (totals.step()) {
    ToolUsageRow row;
    row.tool = totals.text(0);
    row.source = totals.text(1);
    row.calls = totals.integer(2);
    row.errors = totals.integer(3);
    row.cancelled = totals.integer(4);
    row.average_ms = totals.real(5);
    row.slowest_ms = totals.real(6);
    row.arguments_bytes = totals.integer(7);
    row.result_bytes = totals.integer(8);
    index[{row.tool, row.source}] = rows.size();
    rows.push_back(std::move(row));
  }
  auto callers = database_.prepare(
      "SELECT tool, source, coalesce(caller, ''), min(id) FROM tool_calls WHERE created_at >= ?1 AND created_at < ?2"
      " GROUP BY tool, source, caller ORDER BY min(id)");
  callers.bind(1, since).bind(2, until);
  while (callers.step()) {
    auto found = index.find({callers.text(0), callers.text(1)});
    if (found != index.end()) rows[found->second].callers.push_back(callers.text(2));
  }
  return rows;
}

int64_t ToolCallLog::prune(int64_t before) {
  auto erase = database_.prepare("DELETE FROM tool_calls WHERE created_at < ?1");
  erase.bind(1, before);
  erase.run();
  return database_.changes();
}

}  // namespace weir
