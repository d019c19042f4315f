#include "core/store/gateway_references.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/gateway/config_schema.hpp"
#include "core/gateway/gateway_config.hpp"
#include "core/provider/provider.hpp"
#include "core/store/collection_repository.hpp"
#include "core/store/gateway_repository.hpp"
#include "core/store/provider_repository.hpp"
#include "core/store/skill_repository.hpp"

namespace weir {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string did_you_mean(const std::string& wanted, const std::vector<std::string>& candidates) {
  auto close = closest_names(wanted, candidates);
  if (close.empty()) return "";
  return "; did you mean: " + join(close) + "?";
}

void check_provider(Database& database, const std::string& name) {
  ProviderRepository providers(database);
  if (providers.find(name) || find_provider_preset(name)) return;
  std::vector<std::string> configured;
  for (const auto& provider : providers.list()) configured.push_back(provider.name);
  std::vector<std::string> candidates = configured;
  for (const auto& preset : provider_presets()) candidates.emplace_back(preset.name);
  std::string message = "the gateway's provider '" + name + "' does not exist" + did_you_mean(name, candidates);
  if (!configured.empty()) message += " Configured: " + join(configured) + ".";
  message += " Add it with `weir provider add " + name + " --base-url URL`, or use a preset (`weir provider add --help`) "
             "or the built-in `local`";
  throw Error(ErrorKind::not_found, message);
}

void check_collection(CollectionRepository& collections, const std::string& name) {
  if (collections.find(name)) return;
  std::vector<std::string> existing;
  for (const auto& collection : collections.list()) existing.push_back(collection.name);
  std::string message = "the gateway's collection '" + name + "' does not exist";
  if (existing.empty())
    message += "; none exists yet. Create it with `weir collection create " + name + "`";
  else
    message += did_you_mean(name, existing) + " (existing: " + join(existing) + "; `weir collection create " + name +
               "` makes a new one)";
  throw Error(ErrorKind::not_found, message);
}

}  // namespace

void check_skills_exist(Database& database, const std::vector<std::string>& slugs, const std::string& gateway) {
  SkillRepository skills(database);
  for (const auto& slug : slugs) {
    if (skills.find(slug)) continue;
    std::vector<std::string> existing;
    for (const auto& skill : skills.list()) existing.push_back(skill.slug);
    throw Error(ErrorKind::not_found, "the skill '" + slug + "' of " + gateway + " does not exist" +
                                          did_you_mean(slug, existing) + "; create it with `weir skill create " + slug +
                                          " --description D --instructions TEXT` or remove it from the gateway's skills");
  }
}

void check_gateway_references(Database& database, const GatewayConfig& config) {
  for (const auto& provider : config.providers()) check_provider(database, provider);
  auto skills = config.effective_value("skills");
  if (skills.is_array() && !skills.empty())
    check_skills_exist(database, skills.get<std::vector<std::string>>(), "the gateway");
  if (auto rag = config.rag()) {
    CollectionRepository collections(database);
    for (const auto& name : rag->collections) check_collection(collections, name);
  }
}

std::vector<std::string> gateways_using_provider(Database& database, const std::string& provider) {
  std::vector<std::string> users;
  for (const auto& gateway : GatewayRepository(database).list())
    for (const auto& used : gateway.config.providers())
      if (used == provider) users.push_back(gateway.name);
  return users;
}

std::vector<std::string> gateways_using_skill(Database& database, const std::string& slug) {
  std::vector<std::string> users;
  for (const auto& gateway : GatewayRepository(database).list()) {
    auto skills = gateway.config.effective_value("skills");
    if (skills.is_array() && std::find(skills.begin(), skills.end(), slug) != skills.end())
      users.push_back(gateway.name);
  }
  std::sort(users.begin(), users.end());
  return users;
}

std::vector<std::string> gateways_using_collection(Database& database, const Collection& collection) {
  std::vector<std::string> users;
  for (const auto& gateway : GatewayRepository(database).list())
    if (auto rag = gateway.config.rag())
      for (const auto& name : rag->collections)
        if (name == collection.name || name == collection.id) {
          users.push_back(gateway.name);
          break;
        }
  return users;
}

void ensure_unused(std::string_view kind, const std::string& name, const std::vector<std::string>& users,
                   bool force) {
  if (force || users.empty()) return;
  throw Error(ErrorKind::usage, std::string(kind) + " '" + name + "' is used by gateways: " + join(users) +
                                    "; update them first or pass --force");
}

}  // namespace weir
