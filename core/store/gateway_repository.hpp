// GatewayRepository — saved gateways and how a user's reference finds one.
//
// A reference resolves, in order, as a full id, a slug (`name:abcd`, the last
// four hex digits of the id), or a name; `@provider/model` is a bare model with
// no gateway (DESIGN.md "Data model"). A reference that matches nothing is an
// Error(not_found) that lists the closest names.
//
// Every save (create, update, apply, rollback) first checks that the provider
// and the collections the config names exist (gateway_references.hpp), then
// writes the gateway and its next revision (gateway_revision_repository.hpp)
// in one transaction, so do not call these inside another transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/gateway_config.hpp"

namespace weir {

class Database;

struct Gateway {
  std::string id;    // UUIDv7; empty for a bare `@provider/model` target
  std::string name;  // for a bare target: "@provider/model"
  GatewayConfig config;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  bool is_bare() const noexcept { return id.empty(); }
  std::string slug() const;
  // {id, name, slug, ...every effective field, created_at, updated_at}
  json to_json() const;
  // The portable file form: {id, name, ...fields set}; `gateway apply` reads it.
  json to_export() const;
};

class GatewayRepository {
 public:
  explicit GatewayRepository(Database& database) : database_(database) {}

  // Error(usage) if the name is taken or invalid. `id` may be given (apply of
  // an exported file); otherwise a new UUIDv7 is made.
  Gateway create(const std::string& name, const GatewayConfig& config, std::string id = {});
  // Saves a changed config (and name) of an existing gateway; `action` is
  // what its revision records.
  void update(Gateway& gateway, std::string_view action = "update");
  // Makes the config of revision `revision` current again, as a new revision
  // (the name stays); returns the new revision's number. Error(not_found)
  // naming the revisions that exist when there is no such revision.
  int64_t rollback(Gateway& gateway, int64_t revision);
  bool remove(const std::string& id);
  std::vector<Gateway> list();

  std::optional<Gateway> find(const std::string& reference);
  // find(), or Error(not_found) with suggestions.
  Gateway resolve(const std::string& reference);
  // Like resolve() but also accepts `@provider/model`, giving a bare gateway.
  Gateway resolve_target(const std::string& reference);

  // Creates or updates from an exported document; validates everything first so
  // an invalid document changes nothing. Returns the stored gateway and whether
  // it was created.
  std::pair<Gateway, bool> apply(const json& document);

 private:
  std::optional<Gateway> find_where(const char* condition, const std::string& value);
  // The writes of create() and update(), for use inside a transaction.
  Gateway insert(const std::string& name, const GatewayConfig& config, std::string id, std::string_view action);
  void save(Gateway& gateway, std::string_view action);
  Database& database_;
};

}  // namespace weir
