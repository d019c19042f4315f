#include "core/store/provider_repository.hpp"

#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"

namespace weir {

void ProviderRepository::save(const ProviderConfig& config) {
  auto now = now_milliseconds();
  database_
      .prepare(
          "INSERT INTO providers(name, config, created_at, updated_at) VALUES(?1, ?2, ?3, ?3) "
          "ON CONFLICT(name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at")
      .bind(1, config.name)
      .bind(2, config.to_json().dump())
      .bind(3, now)
      .run();
}

std::optional<ProviderConfig> ProviderRepository::find(const std::string& name) {
  auto query = database_.prepare("SELECT config FROM providers WHERE name = ?1");
  query.bind(1, name);
  if (!query.step()) return std::nullopt;
  return ProviderConfig::from_json(json::parse(query.text(0)));
}

ProviderConfig ProviderRepository::get(const std::string& name) {
  if (auto found = find(name)) return *found;
  std::string known;
  for (const auto& config : list()) known += (known.empty() ? "" : ", ") + config.name;
  throw Error(ErrorKind::not_found,
              "no provider named '" + name + "'" +
                  (known.empty() ? "; none is configured yet" : "; configured: " + known) +
                  ". Add it with `weir provider add " + name + "`");
}

ProviderConfig ProviderRepository::resolve(const std::string& name) {
  if (auto stored = find(name)) return *stored;
  if (const auto* preset = find_provider_preset(name)) {
    ProviderConfig config;
    config.name = std::string(preset->name);
    config.kind = preset->kind;
    config.base_url = std::string(preset->base_url);
    config.api_key_env = std::string(preset->api_key_env);
    return config;
  }
  return get(name);
}

std::vector<ProviderConfig> ProviderRepository::list() {
  std::vector<ProviderConfig> providers;
  auto query = database_.prepare("SELECT config FROM providers ORDER BY name");
  while (query.step()) providers.push_back(ProviderConfig::from_json(json::parse(query.text(0))));
  return providers;
}

bool ProviderRepository::remove(const std::string& name) {
  database_.prepare("DELETE FROM providers WHERE name = ?1").bind(1, name).run();
  return database_.changes() > 0;
}

}  // namespace weir
