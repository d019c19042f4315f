// GatewayRevisionRepository — the numbered history of each gateway.
//
// Every saved change of a gateway (create, update, apply, rollback) appends a
// revision: 1, 2, 3... per gateway, holding the full stored config (only the
// fields the user set), the name and the time. GatewayRepository calls
// record() inside the transaction that saves the gateway, so a revision exists
// exactly when its change was committed. Deleting a gateway deletes its
// revisions (ON DELETE CASCADE, migration 5). Revisions keep the config as it
// was stored, unvalidated: a config that a later weir rejects can still be
// listed and compared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace weir {

class Database;
struct Gateway;

struct GatewayRevision {
  int64_t revision = 0;
  std::string name;
  nlohmann::json config;  // the stored fields
  std::string action;     // create | update | apply | rollback | upgrade (existed before revisions)
  int64_t created_at = 0;
};

class GatewayRevisionRepository {
 public:
  explicit GatewayRevisionRepository(Database& database) : database_(database) {}

  // Appends the gateway's current name and config as its next revision and
  // returns its number. Call inside the transaction that saved the gateway.
  int64_t record(const Gateway& gateway, std::string_view action, int64_t created_at);
  // Oldest first.
  std::vector<GatewayRevision> list(const std::string& gateway_id);
  // Error(not_found) naming the revisions that exist when there is no such one.
  GatewayRevision get(const Gateway& gateway, int64_t revision);

 private:
  Database& database_;
};

}  // namespace weir
