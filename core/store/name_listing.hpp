// Name listing — the names of stored gateways, collections, providers,
// sessions, API keys or tool sets, for shell completion (`weir __complete KIND`).
//
// A completion runs on every TAB, so this opens the database read-only and
// does nothing else: no home directory is created, no migration runs, no
// configuration is parsed. A missing database gives no names; any other
// failure is an Error(runtime) that the caller may well ignore.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

enum class NamedKind { gateway, collection, provider, session, key, toolset };

// "gateways", "collections", "providers", "sessions", "keys", "toolsets"; nullopt for anything else.
std::optional<NamedKind> named_kind_from_plural(std::string_view plural);

// Sorted names of that kind in the store at `database_path`.
std::vector<std::string> list_stored_names(const std::string& database_path, NamedKind kind);

}  // namespace weir
