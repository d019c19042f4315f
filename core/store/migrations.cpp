#include "core/store/migrations.hpp"

#include <array>
#include <string>

#include "core/error.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
// Append only: never edit a migration that has shipped.
constexpr std::array<const char*, 1> kMigrations = {
    // 1: providers, gateways, sessions, request log, remote instruction cache.
    R"sql(
CREATE TABLE providers (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE gateways (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_by_session ON messages(session_id, id);
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  front_door TEXT NOT NULL,
  gateway_id TEXT,
  gateway_name TEXT,
  provider TEXT,
  model TEXT,
  status TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  cost REAL NOT NULL DEFAULT 0,
  usage_lines TEXT,
  latency_ms REAL,
  time_to_first_token_ms REAL,
  error TEXT,
  metadata TEXT
);
CREATE INDEX requests_by_time ON requests(created_at);
CREATE TABLE remote_sources (
  url TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  fetched_at INTEGER NOT NULL
);
)sql",
};
}  // namespace

void migrate(Database& database) {
  auto version_query = database.prepare("PRAGMA user_version");
  version_query.step();
  auto applied = static_cast<size_t>(version_query.integer(0));
  if (applied > kMigrations.size())
    throw Error(ErrorKind::runtime,
                "the store at " + database.path() + " has schema version " + std::to_string(applied) +
                    ", newer than this weir understands (" + std::to_string(kMigrations.size()) +
                    "); upgrade weir");
  for (size_t index = applied; index < kMigrations.size(); ++index) {
    database.transaction([&] {
      database.execute(kMigrations[index]);
      database.execute("PRAGMA user_version = " + std::to_string(index + 1));
    });
  }
}

}  // namespace weir
