// Schema migrations at open: a fresh store reaches the latest version, an
// older store is upgraded keeping its rows (its gateways get a first
// revision), a store from a newer weir is refused, untouched, and several
// connections opening a new store at once migrate it once between them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/store/database.hpp"
#include "core/store/request_log.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/gateway_revision_repository.hpp"
#include "core/store/migrations.hpp"
#include "tests/support/temporary_store.hpp"

using namespace weir;
using weir::testing::TemporaryStore;

namespace {

int64_t user_version(Database& database) {
  auto query = database.prepare("PRAGMA user_version");
  query.step();
  return query.integer(0);
}

int64_t count(Database& database, const std::string& table) {
  auto query = database.prepare("SELECT COUNT(*) FROM " + table);
  query.step();
  return query.integer(0);
}

}  // namespace

TEST_CASE("a fresh store reaches the latest schema version") {
  TemporaryStore store("migrations-fresh");
  Database database(store.path);
  CHECK(user_version(database) == latest_schema_version());
  CHECK(count(database, "gateway_revisions") == 0);
}

TEST_CASE("connections opening a new store at once migrate it once between them") {
  // Two processes starting on a new home (Claude Desktop spawning weir mcp
  // serve while the user runs weir) used to both apply a migration, and the
  // second failed on a duplicate column.
  for (int round = 0; round < 4; ++round) {
    TemporaryStore store("migrations-race-" + std::to_string(round));
    std::vector<std::thread> openers;
    std::vector<std::string> failures(6);
    for (size_t index = 0; index < failures.size(); ++index)
      openers.emplace_back([&, index] {
        try {
          Database database(store.path);
        } catch (const std::exception& error) {
          failures[index] = error.what();
        }
      });
    for (auto& opener : openers) opener.join();
    for (const auto& failure : failures) CHECK(failure == "");
    Database database(store.path);
    CHECK(user_version(database) == latest_schema_version());
  }
}

TEST_CASE("a store at an older version is upgraded and keeps its rows") {
  TemporaryStore store("migrations-older");
  std::string id;
  {
    Database database(store.path);
    id = GatewayRepository(database)
             .create("kept", GatewayConfig::from_json({{"provider", "local"}, {"model", "extractive"}}))
             .id;
    // Take the store back to before migration 5, as an older weir left it.
    database.execute(
        "DROP TRIGGER keys_version_insert; DROP TRIGGER keys_version_update; DROP TRIGGER keys_version_delete; "
        "DROP TRIGGER gateways_version_insert; DROP TRIGGER gateways_version_update; "
        "DROP TRIGGER gateways_version_delete; DROP TRIGGER providers_version_insert; "
        "DROP TRIGGER providers_version_update; DROP TRIGGER providers_version_delete; "
        "DROP TABLE table_versions; DROP TABLE gateway_revisions; ALTER TABLE requests DROP COLUMN routing; "
        "DROP TABLE skills; DROP TABLE memories; DROP TABLE conversation_skills; "
        "ALTER TABLE keys DROP COLUMN limits; ALTER TABLE keys DROP COLUMN toolsets; "
        "DROP TABLE request_conversations; "
        "DROP TABLE batch_items; DROP TABLE batch_jobs; DROP TABLE batch_files; "
        "DROP TABLE response_cache; ALTER TABLE requests DROP COLUMN cache; ALTER TABLE requests DROP COLUMN saved; "
        "DROP TABLE chat_session_sends; DROP TABLE chat_session_messages; DROP TABLE chat_session_keys; "
        "DROP TABLE chat_sessions; DROP TABLE chat_clients; DROP TABLE tool_calls; "
        "DROP TABLE toolset_revisions; DROP TABLE toolsets; "
        "PRAGMA user_version = 4;");
  }
  Database reopened(store.path);
  CHECK(user_version(reopened) == latest_schema_version());
  auto gateway = GatewayRepository(reopened).resolve("kept");
  CHECK(gateway.id == id);
  auto revisions = GatewayRevisionRepository(reopened).list(id);
  REQUIRE(revisions.size() == 1);
  CHECK(revisions[0].revision == 1);
  CHECK(revisions[0].action == "upgrade");
  CHECK(revisions[0].config == gateway.config.fields());
}

TEST_CASE("a store from a newer weir is refused with a clear error") {
  TemporaryStore store("migrations-newer");
  {
    Database database(store.path);
    database.execute("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
  }
  try {
    Database refused(store.path);
    FAIL("a newer store was opened");
  } catch (const Error& error) {
    std::string message = error.what();
    CHECK(message.find("newer than this weir understands") != std::string::npos);
    CHECK(message.find("upgrade weir") != std::string::npos);
  }
}

TEST_CASE("the keys table's version moves with every change of it, and only then") {
  TemporaryStore store("migrations-keys-version");
  Database database(store.path);
  auto version = [&] {
    auto query = database.prepare("SELECT version FROM table_versions WHERE name = 'keys'");
    query.step();
    return query.integer(0);
  };
  auto start = version();
  database.execute(
      "INSERT INTO keys(id, name, kind, hash, prefix, created_at) VALUES ('k1', 'ops', 'private', 'h1', 'wk_', 1)");
  CHECK(version() == start + 1);
  database.execute("UPDATE keys SET expires_at = 5 WHERE id = 'k1'");
  CHECK(version() == start + 2);
  database.execute("DELETE FROM keys WHERE id = 'k1'");
  CHECK(version() == start + 3);
  // Other tables (the request log above all) leave it alone.
  RequestRecord row;
  row.front_door = "chat";
  row.status = "ok";
  RequestLog(database).record(row);
  CHECK(version() == start + 3);
}
