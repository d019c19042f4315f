// RequestLog — one row per inference, for `weir logs` and `weir usage`.
//
// Every front door records what it ran: which gateway and model, how it ended,
// tokens, cost lines, latency and time to first token. Rows are written after
// the answer has been delivered, never in front of it. The error text is
// stored and read back with URLs redacted (core/redaction.hpp), so a row an
// older weir wrote with a credential in it is not shown with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

struct RequestRecord {
  std::string id;  // UUIDv7, set by record() when empty
  long long created_at = 0;
  std::string front_door;  // "chat", "http", "mcp", "batch"
  std::string gateway_id;
  std::string gateway_name;
  std::string provider;
  std::string model;
  std::string status;  // "ok", "error", "cancelled"
  long long prompt_tokens = 0;
  long long completion_tokens = 0;
  long long cached_tokens = 0;
  double cost = 0;
  nlohmann::json usage_lines = nlohmann::json::array();
  double latency_ms = 0;
  std::optional<double> time_to_first_token_ms;
  std::string error;
  nlohmann::json metadata;  // null or an object
  // What routing did (generation_context.routing): null for a gateway with one upstream.
  nlohmann::json routing;
  // What was asked and answered (core/engine/conversation_log.hpp), kept in
  // a table of its own so scans of the log never read it; null: not logged
  // (the gateway's log_messages is false), or not read back.
  nlohmann::json conversation;
  // How the request met the gateway's response cache: "hit", "miss",
  // "bypass"; "" when the gateway has none. A hit's `saved` is the USD the
  // stored answer cost upstream, which this request did not spend again.
  std::string cache;
  double saved = 0;

  nlohmann::json to_json() const;
};

// Which rows `weir logs` lists, exports or counts; an empty field matches all.
struct RequestFilter {
  std::string gateway;  // the gateway's name or id
  std::string model;
  std::string status;   // ok, error, cancelled
  std::string user;     // the request's user (metadata.user)
  long long since = 0;  // unix ms, inclusive
  long long until = 0;  // unix ms, exclusive; 0: no bound
};

class RequestLog {
 public:
  explicit RequestLog(Database& database) : database_(database) {}
  void record(RequestRecord& record);
  // Newest first.
  std::vector<RequestRecord> recent(int limit);
  // Newest first; limit 0: every matching row.
  std::vector<RequestRecord> list(const RequestFilter& filter, int limit);
  // For following the log as it grows: rows are numbered in the order they
  // were written (not by created_at: a server writes its rows a moment after
  // their requests began, and two servers interleave). end_position() is
  // past the last row; written_after() returns the matching rows written
  // after `position`, oldest first, and moves `position` past every row read.
  int64_t end_position();
  std::vector<RequestRecord> written_after(const RequestFilter& filter, int64_t& position);
  // Reads each row's conversation, where one was kept (list() leaves them out).
  void attach_conversations(std::vector<RequestRecord>& records);
  // Deletes the rows created before `before` (unix ms), and their
  // conversations; returns how many rows.
  long long prune(long long before);
  // By full id, else by any part of one that no other id contains, with its
  // conversation;
  // Error(not_found) when none has it, Error(usage) when several do.
  RequestRecord get(const std::string& id_part);

 private:
  void insert(const RequestRecord& record);
  Database& database_;
};

}  // namespace weir
