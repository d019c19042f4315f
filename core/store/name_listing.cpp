#include "core/store/name_listing.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>

#include "core/error.hpp"

namespace weir {

namespace {

const char* listing_query(NamedKind kind) {
  switch (kind) {
    case NamedKind::gateway: return "SELECT name FROM gateways ORDER BY name";
    case NamedKind::collection: return "SELECT name FROM collections ORDER BY name";
    case NamedKind::provider: return "SELECT name FROM providers ORDER BY name";
    case NamedKind::session: return "SELECT name FROM sessions ORDER BY name";
    case NamedKind::key: return "SELECT name FROM keys ORDER BY name";
    case NamedKind::toolset: return "SELECT name FROM toolsets ORDER BY name";
  }
  return "";
}

[[noreturn]] void fail(sqlite3* handle, const std::string& what) {
  throw Error(ErrorKind::runtime, what + ": " + (handle != nullptr ? sqlite3_errmsg(handle) : "out of memory"));
}

}  // namespace

std::optional<NamedKind> named_kind_from_plural(std::string_view plural) {
  if (plural == "gateways") return NamedKind::gateway;
  if (plural == "collections") return NamedKind::collection;
  if (plural == "providers") return NamedKind::provider;
  if (plural == "sessions") return NamedKind::session;
  if (plural == "keys") return NamedKind::key;
  if (plural == "toolsets") return NamedKind::toolset;
  return std::nullopt;
}

std::vector<std::string> list_stored_names(const std::string& database_path, NamedKind kind) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(database_path, error)) return {};
  sqlite3* raw_handle = nullptr;
  int status = sqlite3_open_v2(database_path.c_str(), &raw_handle, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> handle(raw_handle, sqlite3_close);
  if (status != SQLITE_OK) fail(handle.get(), "cannot open " + database_path);
  // A writer holding the lock briefly should not make TAB fail, nor hang it.
  sqlite3_busy_timeout(handle.get(), 200);
  sqlite3_stmt* raw_statement = nullptr;
  if (sqlite3_prepare_v2(handle.get(), listing_query(kind), -1, &raw_statement, nullptr) != SQLITE_OK)
    fail(handle.get(), "cannot list names in " + database_path);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw_statement, sqlite3_finalize);
  std::vector<std::string> names;
  while ((status = sqlite3_step(statement.get())) == SQLITE_ROW)
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0)));
  if (status != SQLITE_DONE) fail(handle.get(), "cannot list names in " + database_path);
  return names;
}

}  // namespace weir
