#include "core/store/request_log.hpp"

#include <sqlite3.h>

#include "core/error.hpp"
#include "core/redaction.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

nlohmann::json RequestRecord::to_json() const {
  nlohmann::json object = {{"id", id},
                           {"created_at", format_timestamp(created_at)},
                           {"front_door", front_door},
                           {"gateway_id", gateway_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(gateway_id)},
                           {"gateway", gateway_name},
                           {"provider", provider},
                           {"model", model},
                           {"status", status},
                           {"prompt_tokens", prompt_tokens},
                           {"completion_tokens", completion_tokens},
                           {"cached_tokens", cached_tokens},
                           {"cost", cost},
                           {"usage_lines", usage_lines},
                           {"latency_ms", latency_ms},
                           {"time_to_first_token_ms", time_to_first_token_ms
                                                          ? nlohmann::json(*time_to_first_token_ms)
                                                          : nlohmann::json(nullptr)},
                           {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)},
                           {"metadata", metadata}};
  if (!routing.is_null()) object["routing"] = routing;
  if (!conversation.is_null()) object["conversation"] = conversation;
  if (!cache.empty()) {
    object["cache"] = cache;
    object["saved"] = saved;
  }
  return object;
}

void RequestLog::record(RequestRecord& record) {
  if (record.id.empty()) record.id = new_uuid_v7();
  if (record.created_at == 0) record.created_at = now_milliseconds();
  // The row and its conversation are written together: inside the caller's
  // transaction (the log writer's batch), else in one of their own.
  if (!record.conversation.is_null() && sqlite3_get_autocommit(database_.handle())) {
    database_.transaction([&] { insert(record); });
    return;
  }
  insert(record);
}

void RequestLog::insert(const RequestRecord& record) {
  auto insert = database_.prepare(
      "INSERT INTO requests(id, created_at, front_door, gateway_id, gateway_name, provider, model, status, "
      "prompt_tokens, completion_tokens, cached_tokens, cost, usage_lines, latency_ms, time_to_first_token_ms, "
      "error, metadata, routing, cache, saved) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
      "?16, ?17, ?18, ?19, ?20)");
  insert.bind(1, record.id)
      .bind(2, static_cast<int64_t>(record.created_at))
      .bind(3, record.front_door)
      .bind(4, record.gateway_id)
      .bind(5, record.gateway_name)
      .bind(6, record.provider)
      .bind(7, record.model)
      .bind(8, record.status)
      .bind(9, static_cast<int64_t>(record.prompt_tokens))
      .bind(10, static_cast<int64_t>(record.completion_tokens))
      .bind(11, static_cast<int64_t>(record.cached_tokens))
      .bind(12, record.cost)
      .bind(13, record.usage_lines.dump())
      .bind(14, record.latency_ms);
  if (record.time_to_first_token_ms)
    insert.bind(15, *record.time_to_first_token_ms);
  else
    insert.bind_null(15);
  // Messages are built without credentials (core/redaction.hpp); this keeps a
  // URL quoted by some other text out of the log too.
  insert.bind(16, redact_urls_in_text(record.error));
  insert.bind(17, record.metadata.dump());
  if (record.routing.is_null())
    insert.bind_null(18);
  else  // attempts quote upstream errors; the same redaction as the error column
    insert.bind(18, redact_urls_in_text(record.routing.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  if (record.cache.empty())
    insert.bind_null(19);
  else
    insert.bind(19, record.cache);
  insert.bind(20, record.saved);
  insert.run();
  if (record.conversation.is_null()) return;
  database_.prepare("INSERT OR REPLACE INTO request_conversations(request_id, conversation) VALUES(?1, ?2)")
      .bind(1, record.id)
      .bind(2, record.conversation.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .run();
}

void RequestLog::attach_conversations(std::vector<RequestRecord>& records) {
  auto query = database_.prepare("SELECT conversation FROM request_conversations WHERE request_id = ?1");
  for (auto& record : records) {
    query.reset();
    query.bind(1, record.id);
    if (!query.step()) continue;
    record.conversation = nlohmann::json::parse(query.text(0), nullptr, false);
    if (record.conversation.is_discarded()) record.conversation = nullptr;
  }
}

namespace {
constexpr const char* kSelect =
    "SELECT id, created_at, front_door, gateway_id, gateway_name, provider, model, status, prompt_tokens, "
    "completion_tokens, cached_tokens, cost, usage_lines, latency_ms, time_to_first_token_ms, error, metadata, "
    "routing, cache, saved FROM requests ";

RequestRecord read_record(Statement& row) {
  RequestRecord record;
  record.id = row.text(0);
  record.created_at = row.integer(1);
  record.front_door = row.text(2);
  record.gateway_id = row.text(3);
  record.gateway_name = row.text(4);
  record.provider = row.text(5);
  record.model = row.text(6);
  record.status = row.text(7);
  record.prompt_tokens = row.integer(8);
  record.completion_tokens = row.integer(9);
  record.cached_tokens = row.integer(10);
  record.cost = row.real(11);
  record.usage_lines = nlohmann::json::parse(row.text(12), nullptr, false);
  if (record.usage_lines.is_discarded()) record.usage_lines = nlohmann::json::array();
  record.latency_ms = row.real(13);
  if (!row.is_null(14)) record.time_to_first_token_ms = row.real(14);
  // Rows written before weir redacted its messages may hold a credential.
  record.error = redact_urls_in_text(row.text(15));
  record.metadata = nlohmann::json::parse(row.text(16), nullptr, false);
  if (record.metadata.is_discarded()) record.metadata = nullptr;
  if (!row.is_null(17)) {
    record.routing = nlohmann::json::parse(row.text(17), nullptr, false);
    if (record.routing.is_discarded()) record.routing = nullptr;
  }
  if (!row.is_null(18)) record.cache = row.text(18);
  record.saved = row.real(19);
  return record;
}
}  // namespace

std::vector<RequestRecord> RequestLog::recent(int limit) {
  std::vector<RequestRecord> records;
  auto query = database_.prepare(std::string(kSelect) + "ORDER BY created_at DESC, id DESC LIMIT ?1");
  query.bind(1, limit);
  while (query.step()) records.push_back(read_record(query));
  return records;
}

namespace {
// RequestFilter as SQL: parameters ?1 to ?6 (bind_filter).
constexpr const char* kFilterWhere =
    "WHERE (?1 = '' OR gateway_name = ?1 OR gateway_id = ?1) AND (?2 = '' OR model = ?2) AND (?3 = '' OR status = ?3) "
    "AND (?4 = '' OR json_extract(metadata, '$.user') = ?4) AND created_at >= ?5 AND (?6 = 0 OR created_at < ?6) ";

void bind_filter(Statement& query, const RequestFilter& filter) {
  query.bind(1, filter.gateway)
      .bind(2, filter.model)
      .bind(3, filter.status)
      .bind(4, filter.user)
      .bind(5, static_cast<int64_t>(filter.since))
      .bind(6, static_cast<int64_t>(filter.until));
}
}  // namespace

std::vector<RequestRecord> RequestLog::list(const RequestFilter& filter, int limit) {
  std::vector<RequestRecord> records;
  auto query = database_.prepare(std::string(kSelect) + kFilterWhere + "ORDER BY created_at DESC, id DESC LIMIT ?7");
  bind_filter(query, filter);
  query.bind(7, limit > 0 ? limit : -1);
  while (query.step()) records.push_back(read_record(query));
  return records;
}

int64_t RequestLog::end_position() {
  auto query = database_.prepare("SELECT coalesce(max(rowid), 0) FROM requests");
  query.step();
  return query.integer(0);
}

std::vector<RequestRecord> RequestLog::written_after(const RequestFilter& filter, int64_t& position) {
  std::vector<RequestRecord> records;
  database_.read_transaction([&] {
    auto end = end_position();
    // Emptied by a prune, the log numbers its rows from 1 again.
    if (end < position) position = 0;
    auto query = database_.prepare(std::string(kSelect) + kFilterWhere +
                                   "AND rowid > ?7 AND rowid <= ?8 ORDER BY rowid");
    bind_filter(query, filter);
    query.bind(7, position).bind(8, end);
    while (query.step()) records.push_back(read_record(query));
    position = end;
  });
  return records;
}

long long RequestLog::prune(long long before) {
  long long removed = 0;
  database_.transaction([&] {
    database_.prepare(
                 "DELETE FROM request_conversations WHERE request_id IN (SELECT id FROM requests WHERE created_at < ?1)")
        .bind(1, static_cast<int64_t>(before))
        .run();
    database_.prepare("DELETE FROM requests WHERE created_at < ?1").bind(1, static_cast<int64_t>(before)).run();
    removed = database_.changes();
  });
  return removed;
}

RequestRecord RequestLog::get(const std::string& id_part) {
  if (id_part.empty()) throw Error(ErrorKind::usage, "give a request id (or a unique part of one); `weir logs` lists recent ones");
  // The whole id first, then any part of it: a UUIDv7 starts with its
  // timestamp, so the ids of one minute share their first characters and
  // the part that tells them apart is at the end.
  auto exact = database_.prepare(std::string(kSelect) + "WHERE id = ?1");
  exact.bind(1, id_part);
  std::vector<RequestRecord> found;
  if (exact.step()) {
    found.push_back(read_record(exact));
    attach_conversations(found);
    return std::move(found.front());
  }
  auto query = database_.prepare(std::string(kSelect) + "WHERE instr(id, ?1) > 0 LIMIT 2");
  query.bind(1, id_part);
  if (!query.step())
    throw Error(ErrorKind::not_found, "no request log row '" + id_part + "'; `weir logs` lists recent ones");
  found.push_back(read_record(query));
  if (query.step())
    throw Error(ErrorKind::usage, "'" + id_part + "' is part of several request ids; give more of the id");
  attach_conversations(found);
  return std::move(found.front());
}

}  // namespace weir
