#include "core/store/migrations.hpp"

#include <array>
#include <string>

#include "core/error.hpp"
#include "core/store/database.hpp"

namespace weir {

namespace {
// Append only: never edit a migration that has shipped.
constexpr std::array<const char*, 20> kMigrations = {
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
    // 2: knowledge collections. documents.id is the HNSW label and the FTS5
    // rowid, so it must never be reused (AUTOINCREMENT). `generation` counts
    // vector changes per collection; a document row remembers the generation
    // of its last vector change and deleted_documents the generation of its
    // removal, so an index built at generation G catches up by replaying what
    // is newer. An index older than index_floor cannot catch up (after a
    // reset or a tombstone purge) and is rebuilt.
    R"sql(
CREATE TABLE collections (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  embedder TEXT NOT NULL,
  dimension INTEGER NOT NULL,
  context TEXT NOT NULL DEFAULT '',
  generation INTEGER NOT NULL DEFAULT 0,
  index_floor INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  docid TEXT NOT NULL,
  text TEXT NOT NULL,
  ref TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  meta TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL,
  vector BLOB,
  state TEXT NOT NULL DEFAULT 'queued',
  generation INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE(collection_id, docid)
);
CREATE INDEX documents_by_generation ON documents(collection_id, generation);
CREATE INDEX documents_by_ref ON documents(collection_id, ref);
CREATE TABLE deleted_documents (
  document_id INTEGER NOT NULL,
  collection_id TEXT NOT NULL,
  generation INTEGER NOT NULL
);
CREATE INDEX deleted_documents_by_generation ON deleted_documents(collection_id, generation);
CREATE TABLE sources (
  collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  chunks INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (collection_id, path)
);
CREATE VIRTUAL TABLE documents_fts USING fts5(
  text, content='documents', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
  INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
  INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF text ON documents BEGIN
  INSERT INTO documents_fts(documents_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO documents_fts(rowid, text) VALUES (new.id, new.text);
END;
)sql",
    // 3: API keys of `weir serve`. Only a SHA-256 of each key is kept; the
    // prefix (the key's first characters) lets `key list` show which is which.
    R"sql(
CREATE TABLE keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('private', 'public')),
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  rpm INTEGER,
  expires_at INTEGER,
  created_at INTEGER NOT NULL
);
)sql",
    // 4: new documents reach the full-text index from
    // DocumentRepository::insert_many, a batch per statement, instead of a
    // row per trigger (FTS5 flushes a segment at the end of each statement).
    R"sql(
DROP TRIGGER IF EXISTS documents_fts_insert;
)sql",
    // 5: every saved change of a gateway is kept as a numbered revision (1, 2,
    // 3... per gateway) for `gateway history|diff|rollback`. A gateway saved
    // before this migration starts its history with its config at upgrade.
    R"sql(
CREATE TABLE gateway_revisions (
  gateway_id TEXT NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  action TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, revision)
);
INSERT INTO gateway_revisions(gateway_id, revision, name, config, action, created_at)
  SELECT id, 1, name, config, 'upgrade', updated_at FROM gateways;
)sql",
    // 6: a counter that moves with every change of the keys table, so a
    // server can tell in one indexed read whether its copy of the keys is
    // stale (PRAGMA data_version also moves with every request log row).
    R"sql(
CREATE TABLE table_versions (
  name TEXT PRIMARY KEY,
  version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO table_versions(name, version) VALUES ('keys', 0);
CREATE TRIGGER keys_version_insert AFTER INSERT ON keys BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'keys';
END;
CREATE TRIGGER keys_version_update AFTER UPDATE ON keys BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'keys';
END;
CREATE TRIGGER keys_version_delete AFTER DELETE ON keys BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'keys';
END;
)sql",
    // 7: what routing did for a request of a gateway with several upstreams
    // (generation_context.routing): the tier and every attempt. NULL for a
    // gateway with one upstream.
    R"sql(
ALTER TABLE requests ADD COLUMN routing TEXT;
)sql",
    // 8: counters for the gateways and providers tables, like keys' (6), so a
    // server can keep what it resolved for a target between requests and tell
    // in one indexed read whether a change anywhere made it stale.
    R"sql(
INSERT INTO table_versions(name, version) VALUES ('gateways', 0), ('providers', 0);
CREATE TRIGGER gateways_version_insert AFTER INSERT ON gateways BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'gateways';
END;
CREATE TRIGGER gateways_version_update AFTER UPDATE ON gateways BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'gateways';
END;
CREATE TRIGGER gateways_version_delete AFTER DELETE ON gateways BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'gateways';
END;
CREATE TRIGGER providers_version_insert AFTER INSERT ON providers BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'providers';
END;
CREATE TRIGGER providers_version_update AFTER UPDATE ON providers BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'providers';
END;
CREATE TRIGGER providers_version_delete AFTER DELETE ON providers BEGIN
  UPDATE table_versions SET version = version + 1 WHERE name = 'providers';
END;
)sql",
    // 9: skills (instruction bundles a model reads on demand with read_skill)
    // and per-user memories (the memory tools). A memory's gateway_id is NULL
    // when it is shared by every gateway; expired memories are purged lazily.
    R"sql(
CREATE TABLE skills (
  slug TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  instructions TEXT NOT NULL,
  allowed_tools TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE memories (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user TEXT NOT NULL,
  gateway_id TEXT,
  text TEXT NOT NULL CHECK (length(CAST(text AS BLOB)) <= 10240),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX memories_by_user ON memories(user, gateway_id, created_at);
CREATE INDEX memories_by_expiry ON memories(expires_at);
)sql",
    // 10: the skills a conversation's model has read (read_skill), so they
    // stay in its instructions on the conversation's later requests. Rows
    // older than the retention are purged when one is written.
    R"sql(
CREATE TABLE conversation_skills (
  gateway_id TEXT NOT NULL,
  conversation TEXT NOT NULL,
  slug TEXT NOT NULL,
  first_read_at INTEGER NOT NULL,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, conversation, slug)
) WITHOUT ROWID;
CREATE INDEX conversation_skills_by_age ON conversation_skills(read_at);
)sql",
    // 11: limits and budgets (core/policy/limit_ledger.hpp). A counter is one
    // fixed window of one scope ("gateway:ID:tokens_per_minute" starting at
    // window_start, unix ms): requests, tokens or USD used in it. A lease is a
    // request in flight under a concurrency limit; it expires by itself, so a
    // killed process cannot hold a slot for ever. A key's own `limits` and
    // `budget` blocks are one JSON object.
    R"sql(
CREATE TABLE limit_counters (
  scope TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  used REAL NOT NULL,
  PRIMARY KEY (scope, window_start)
) WITHOUT ROWID;
CREATE TABLE limit_leases (
  scope TEXT NOT NULL,
  request_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, request_id)
) WITHOUT ROWID;
ALTER TABLE keys ADD COLUMN limits TEXT;
)sql",
    // 12: the conversation of a request log row (core/engine/conversation_log.hpp),
    // apart from the row so that usage reports and listings never read it.
    R"sql(
CREATE TABLE request_conversations (
  request_id TEXT PRIMARY KEY,
  conversation TEXT NOT NULL
);
)sql",
    // 13: batch jobs and their items (core/batch, core/store/batch_repository.hpp),
    // and the files of the OpenAI Batch API (its uploaded input files).
    // A job's settings are one JSON object; `state` is what the user asked
    // (ready, paused, cancelled) and `reason` why it was paused. `run_token`
    // names the runner in charge: an item it is working on has `claim` set to
    // it, and a result is written only while the claim still holds, in the
    // same transaction that adds the item's cost to the job's, so a runner
    // killed mid-item or taken over never records or charges an item twice.
    R"sql(
CREATE TABLE batch_jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  settings TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'ready',
  reason TEXT,
  run_token TEXT,
  cost REAL NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT 'cli',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE batch_items (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  input TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  claim TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  output TEXT,
  confidence REAL,
  cost REAL NOT NULL DEFAULT 0,
  error TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX batch_items_by_state ON batch_items(job_id, state, id);
CREATE TABLE batch_files (
  id TEXT PRIMARY KEY,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  content BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
    // 14: limits and budgets count in the shared file beside the store
    // (core/policy/limit_counters.hpp), no longer in these tables.
    "DROP TABLE limit_counters; DROP TABLE limit_leases;",
    // 15: the response cache (core/store/response_cache_repository.hpp). One
    // row per stored answer of a gateway: `key` is the exact key (a hash of
    // everything the answer depends on) and `context_key` the same without
    // the prompt, which semantic lookups compare exactly while the prompt's
    // embedding is compared by similarity. `cost` is what the answer cost
    // upstream, which every hit saves. The request log says how each request
    // met the cache (`cache`: hit, miss, bypass; NULL: the gateway has none)
    // and what a hit saved. Ids are never reused (AUTOINCREMENT): a
    // server's semantic index reads the rows after the last id it saw.
    R"sql(
CREATE TABLE response_cache (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gateway_id TEXT NOT NULL,
  key TEXT NOT NULL,
  context_key TEXT NOT NULL,
  prompt TEXT NOT NULL,
  embedding BLOB,
  answer TEXT NOT NULL,
  cost REAL NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX response_cache_by_key ON response_cache(gateway_id, key);
CREATE INDEX response_cache_by_gateway ON response_cache(gateway_id, id);
CREATE INDEX response_cache_by_expiry ON response_cache(expires_at);
ALTER TABLE requests ADD COLUMN cache TEXT;
ALTER TABLE requests ADD COLUMN saved REAL NOT NULL DEFAULT 0;
)sql",
    // 16: web chat (core/chat_client). A chat client is a gateway dressed as
    // a chat page (`settings`: title, colours, suggestions, limits); a
    // session of it is one end user's conversation, opened with an access
    // key whose SHA-256 alone is kept (a tag's live session is reused, so a
    // session may have several keys). `sends` counts every prompt a session
    // sent, kept when its conversation is cleared, so the per-hour and total
    // limits cannot be reset by clearing.
    R"sql(
CREATE TABLE chat_clients (
  name TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE chat_sessions (
  id TEXT PRIMARY KEY,
  client TEXT NOT NULL REFERENCES chat_clients(name) ON DELETE CASCADE ON UPDATE CASCADE,
  tag TEXT,
  extra_context TEXT NOT NULL DEFAULT '',
  lifetime INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX chat_sessions_by_tag ON chat_sessions(client, tag, expires_at);
CREATE TABLE chat_session_keys (
  hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE
);
CREATE TABLE chat_session_messages (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX chat_session_messages_by_session ON chat_session_messages(session_id, id);
CREATE TABLE chat_session_sends (
  session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
  sent_at INTEGER NOT NULL
);
CREATE INDEX chat_session_sends_by_session ON chat_session_sends(session_id, sent_at);
)sql",
    // 17: a chat session remembers the API key that opened it (NULL: the
    // local user), so its prompts run under that key's limits and budget, a
    // tag's session is reused only for that key, and revoking the key ends
    // it. `sends_total` counts a session's prompts for its lifetime limit, so
    // chat_session_sends keeps only the last hour (the hourly limit's window).
    R"sql(
ALTER TABLE chat_sessions ADD COLUMN opened_by_key TEXT;
ALTER TABLE chat_sessions ADD COLUMN sends_total INTEGER NOT NULL DEFAULT 0;
UPDATE chat_sessions SET sends_total = (SELECT count(*) FROM chat_session_sends s WHERE s.session_id = chat_sessions.id);
DROP INDEX chat_sessions_by_tag;
CREATE INDEX chat_sessions_by_tag ON chat_sessions(client, tag, opened_by_key, expires_at);
)sql",
    // 18: one row per tool call weir's MCP server answered (core/store/
    // tool_call_log.hpp): which tool, from which source, for which caller,
    // how it ended, how long it took and how many bytes went each way.
    // Inference rows stay in `requests`; a gateway's tool counts in both.
    R"sql(
CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  front_door TEXT NOT NULL,
  tool TEXT NOT NULL,
  source TEXT NOT NULL,
  caller TEXT,
  status TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  arguments_bytes INTEGER NOT NULL,
  result_bytes INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX tool_calls_by_time ON tool_calls(created_at);
)sql",
    // 19: tool sets (`weir toolset`): a named bundle of tool sources whose
    // every change is a numbered revision (1, 2, 3... per tool set) keeping
    // the sources (`config`, as `weir mcp serve --config` writes them) and
    // the tools they offered when it was made (`tools`), so two revisions
    // can be compared tool by tool.
    R"sql(
CREATE TABLE toolsets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE toolset_revisions (
  toolset_id TEXT NOT NULL REFERENCES toolsets(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  config TEXT NOT NULL,
  tools TEXT NOT NULL,
  action TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (toolset_id, revision)
);
)sql",
    // 20: an API key may be limited to some tool sets (a JSON array of their
    // names; NULL: every one), which it then reaches at /v1/mcp/toolsets/NAME.
    R"sql(
ALTER TABLE keys ADD COLUMN toolsets TEXT;
)sql",
};

size_t schema_version(Database& database) {
  // Finished before any migration runs: DROP TABLE refuses while a statement is still reading.
  auto version_query = database.prepare("PRAGMA user_version");
  version_query.step();
  return static_cast<size_t>(version_query.integer(0));
}

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

void migrate(Database& database) {
  size_t applied = schema_version(database);
  if (applied > kMigrations.size())
    throw Error(ErrorKind::runtime,
                "the store at " + database.path() + " has schema version " + std::to_string(applied) +
                    ", newer than this weir understands (" + std::to_string(kMigrations.size()) +
                    "); upgrade weir");
  for (size_t index = applied; index < kMigrations.size(); ++index) {
    database.transaction([&] {
      // Another process opening the same store may have applied it while
      // this one waited for the write lock: read the version again under it.
      if (schema_version(database) > index) return;
      database.execute(kMigrations[index]);
      database.execute("PRAGMA user_version = " + std::to_string(index + 1));
    });
  }
}

}  // namespace weir
