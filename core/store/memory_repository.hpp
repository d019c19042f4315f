// MemoryRepository — the memories table: what the memory tools
// (core/tools/memory_source.hpp) keep for one end user between conversations.
//
// A memory belongs to one user and either to one gateway or, when shared, to
// every gateway (gateway_id null). Its text is at most 10 KB; it lives
// 1–365 days (default 30) from when it was saved. Expired memories are
// invisible to every read and are deleted lazily, by the next write.
//
// Scope: the tool calls of a gateway see the user's memories of that gateway
// plus the user's shared ones (`Scope{user, gateway_id}`); the CLI sees all of
// a user's memories (`Scope{user, nullopt}` with `every_gateway`). No read or
// write ever reaches another user's memories: an id outside the scope is
// "not found", the same as a missing one.
//
// The clock is injected (milliseconds since the epoch) so that tests can move
// time without sleeping; weir itself uses now_milliseconds().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;

constexpr size_t kLongestMemoryText = 10 * 1024;
constexpr int kDefaultMemoryRetentionDays = 30;
constexpr int kLongestMemoryRetentionDays = 365;
constexpr int kMostMemorySearchResults = 20;

struct Memory {
  int64_t id = 0;
  std::string user;
  std::optional<std::string> gateway_id;  // nullopt: shared by every gateway
  std::string text;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t expires_at = 0;
  // {id, user, gateway_id (null when shared), shared, text, created_at,
  // updated_at, expires_at} with ISO 8601 times.
  nlohmann::json to_json() const;
};

struct MemoryScope {
  std::string user;                       // never empty
  std::optional<std::string> gateway_id;  // the asking gateway
  bool every_gateway = false;             // the CLI: all of the user's memories
};

using MillisecondClock = std::function<int64_t()>;

class MemoryRepository {
 public:
  explicit MemoryRepository(Database& database, MillisecondClock clock = {});

  // Error(usage) for an empty user, an empty or oversize text or a retention
  // outside 1..365 days. `shared` stores it without the gateway.
  Memory save(const MemoryScope& scope, const std::string& text, int retention_days, bool shared);
  // Live memories in scope whose text holds every word of `query` (case
  // insensitive for ASCII; an empty query matches all), newest first, at most `limit`.
  std::vector<Memory> search(const MemoryScope& scope, const std::string& query, int limit = kMostMemorySearchResults);
  std::optional<Memory> find(const MemoryScope& scope, int64_t id);
  // Replaces the text (the expiry stays); false when no live memory in scope has that id.
  bool update(const MemoryScope& scope, int64_t id, const std::string& text);
  bool remove(const MemoryScope& scope, int64_t id);
  // Deletes every expired memory; how many went.
  int64_t purge_expired();

 private:
  int64_t now() const;
  Database& database_;
  MillisecondClock clock_;
};

}  // namespace weir
