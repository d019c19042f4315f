#include "core/store/gateway_repository.hpp"

#include <algorithm>

#include "core/edit_distance.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/gateway_references.hpp"
#include "core/store/gateway_revision_repository.hpp"

namespace weir {

std::string Gateway::slug() const { return is_bare() ? name : make_slug(name, id); }

json Gateway::to_json() const {
  json object = {{"id", id}, {"name", name}, {"slug", slug()}};
  auto effective = config.effective();
  for (auto& [key, value] : effective.items()) object[key] = value;
  if (!is_bare()) {
    object["created_at"] = format_timestamp(created_at);
    object["updated_at"] = format_timestamp(updated_at);
  }
  return object;
}

json Gateway::to_export() const {
  json object = {{"id", id}, {"name", name}};
  for (auto& [key, value] : config.fields().items()) object[key] = value;
  return object;
}

namespace {
Gateway read_gateway(Statement& row) {
  Gateway gateway;
  gateway.id = row.text(0);
  gateway.name = row.text(1);
  gateway.config = GatewayConfig::from_json(json::parse(row.text(2)));
  gateway.created_at = row.integer(3);
  gateway.updated_at = row.integer(4);
  return gateway;
}

constexpr const char* kColumns = "SELECT id, name, config, created_at, updated_at FROM gateways ";
}  // namespace

std::optional<Gateway> GatewayRepository::find_where(const char* condition, const std::string& value) {
  auto query = database_.prepare(std::string(kColumns) + condition);
  query.bind(1, value);
  if (!query.step()) return std::nullopt;
  return read_gateway(query);
}

Gateway GatewayRepository::create(const std::string& name, const GatewayConfig& config, std::string id) {
  Gateway gateway;
  database_.transaction([&] { gateway = insert(name, config, std::move(id), "create"); });
  return gateway;
}

Gateway GatewayRepository::insert(const std::string& name, const GatewayConfig& config, std::string id,
                                  std::string_view action) {
  validate_name(name, "gateway name");
  if (find_where("WHERE name = ?1", name))
    throw Error(ErrorKind::usage, "a gateway named '" + name +
                                      "' already exists; use `weir gateway update " + name +
                                      "` or choose another name");
  if (id.empty()) id = new_uuid_v7();
  if (!is_uuid(id)) throw Error(ErrorKind::usage, "gateway id '" + id + "' is not a lower-case UUID");
  if (find_where("WHERE id = ?1", id))
    throw Error(ErrorKind::usage, "a gateway with id " + id + " already exists");
  check_gateway_references(database_, config);
  Gateway gateway{id, name, config, now_milliseconds(), 0};
  gateway.updated_at = gateway.created_at;
  database_
      .prepare("INSERT INTO gateways(id, name, config, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?4)")
      .bind(1, gateway.id)
      .bind(2, gateway.name)
      .bind(3, config.fields().dump())
      .bind(4, gateway.created_at)
      .run();
  GatewayRevisionRepository(database_).record(gateway, action, gateway.created_at);
  return gateway;
}

void GatewayRepository::update(Gateway& gateway, std::string_view action) {
  database_.transaction([&] { save(gateway, action); });
}

void GatewayRepository::save(Gateway& gateway, std::string_view action) {
  validate_name(gateway.name, "gateway name");
  if (auto other = find_where("WHERE name = ?1", gateway.name); other && other->id != gateway.id)
    throw Error(ErrorKind::usage, "a gateway named '" + gateway.name + "' already exists");
  check_gateway_references(database_, gateway.config);
  gateway.updated_at = now_milliseconds();
  database_.prepare("UPDATE gateways SET name = ?2, config = ?3, updated_at = ?4 WHERE id = ?1")
      .bind(1, gateway.id)
      .bind(2, gateway.name)
      .bind(3, gateway.config.fields().dump())
      .bind(4, gateway.updated_at)
      .run();
  if (database_.changes() == 0)
    throw Error(ErrorKind::not_found, "gateway " + gateway.id + " no longer exists");
  GatewayRevisionRepository(database_).record(gateway, action, gateway.updated_at);
}

int64_t GatewayRepository::rollback(Gateway& gateway, int64_t revision) {
  int64_t recorded = 0;
  database_.transaction([&] {
    auto target = GatewayRevisionRepository(database_).get(gateway, revision);
    Gateway restored = gateway;
    restored.config = GatewayConfig::from_json(target.config);
    save(restored, "rollback");
    recorded = GatewayRevisionRepository(database_).list(gateway.id).back().revision;
    gateway = restored;
  });
  return recorded;
}

bool GatewayRepository::remove(const std::string& id) {
  bool removed = false;
  database_.transaction([&] {
    // The revisions go too (also ON DELETE CASCADE; explicit so it holds
    // whatever the connection's foreign_keys setting).
    database_.prepare("DELETE FROM gateway_revisions WHERE gateway_id = ?1").bind(1, id).run();
    database_.prepare("DELETE FROM gateways WHERE id = ?1").bind(1, id).run();
    removed = database_.changes() > 0;
  });
  return removed;
}

std::vector<Gateway> GatewayRepository::list() {
  std::vector<Gateway> gateways;
  auto query = database_.prepare(std::string(kColumns) + "ORDER BY name");
  while (query.step()) gateways.push_back(read_gateway(query));
  return gateways;
}

std::optional<Gateway> GatewayRepository::find(const std::string& reference) {
  if (is_uuid(reference)) return find_where("WHERE id = ?1", reference);
  if (auto colon = reference.rfind(':'); colon != std::string::npos) {
    auto gateway = find_where("WHERE name = ?1", reference.substr(0, colon));
    if (gateway && gateway->slug() == reference) return gateway;
    return std::nullopt;
  }
  return find_where("WHERE name = ?1", reference);
}

Gateway GatewayRepository::resolve(const std::string& reference) {
  if (auto gateway = find(reference)) return *gateway;
  std::string message = "no gateway '" + reference + "'";
  auto gateways = list();
  if (gateways.empty()) {
    message += "; none exists yet. Create one with `weir gateway create NAME --provider P --model M`";
  } else {
    std::sort(gateways.begin(), gateways.end(), [&](const Gateway& left, const Gateway& right) {
      return edit_distance(left.name, reference) < edit_distance(right.name, reference);
    });
    message += "; did you mean: ";
    for (size_t index = 0; index < std::min<size_t>(3, gateways.size()); ++index)
      message += (index ? ", " : "") + gateways[index].name;
    message += "? (`weir gateway list` shows all)";
  }
  throw Error(ErrorKind::not_found, message);
}

Gateway GatewayRepository::resolve_target(const std::string& reference) {
  if (!reference.empty() && reference.front() == '@') {
    auto slash = reference.find('/');
    if (slash == std::string::npos || slash == 1 || slash + 1 == reference.size())
      throw Error(ErrorKind::usage, "a bare model target is written @provider/model, got '" + reference + "'");
    Gateway bare;
    bare.name = reference;
    bare.config = GatewayConfig::from_json(
        {{"provider", reference.substr(1, slash - 1)}, {"model", reference.substr(slash + 1)}});
    return bare;
  }
  return resolve(reference);
}

std::pair<Gateway, bool> GatewayRepository::apply(const json& document) {
  if (!document.is_object())
    throw Error(ErrorKind::usage, "a gateway file must hold one JSON object (as `weir gateway export` writes)");
  auto fields = document;
  std::string id = fields.value("id", "");
  std::string name = fields.value("name", "");
  fields.erase("id");
  fields.erase("name");
  if (name.empty()) throw Error(ErrorKind::usage, "the gateway file has no \"name\"");
  validate_name(name, "gateway name");
  if (!id.empty() && !is_uuid(id))
    throw Error(ErrorKind::usage, "the gateway file's \"id\" '" + id + "' is not a lower-case UUID");
  auto config = GatewayConfig::from_json(fields);  // validates before anything is written

  std::pair<Gateway, bool> result;
  database_.transaction([&] {
    std::optional<Gateway> existing = id.empty() ? std::nullopt : find_where("WHERE id = ?1", id);
    if (!existing) existing = find_where("WHERE name = ?1", name);
    if (existing) {
      if (!id.empty() && existing->id != id)
        throw Error(ErrorKind::usage, "a gateway named '" + name + "' exists with another id (" + existing->id +
                                          "); rename one of them or drop \"id\" from the file");
      existing->name = name;
      existing->config = config;
      save(*existing, "apply");
      result = {*existing, false};
    } else {
      result = {insert(name, config, id, "apply"), true};
    }
  });
  return result;
}

}  // namespace weir
