#include "core/provider/provider_setup.hpp"

#include "core/error.hpp"
#include "core/policy/limit_settings.hpp"
#include "core/provider/azure_endpoint.hpp"
#include "core/redaction.hpp"

namespace weir {

ProviderConfig configure_provider(const std::string& name, const std::optional<ProviderConfig>& existing,
                                  const ProviderSettings& settings) {
  ProviderConfig config;
  if (existing) {
    config = *existing;
  } else if (const auto* preset = find_provider_preset(name)) {
    config.kind = preset->kind;
    config.base_url = std::string(preset->base_url);
    config.api_key_env = std::string(preset->api_key_env);
  }
  config.name = name;
  if (!settings.kind.empty()) config.kind = parse_provider_kind(settings.kind);
  if (!settings.base_url.empty()) config.base_url = settings.base_url;
  if (!settings.api_key_env.empty()) {
    config.api_key_env = settings.api_key_env;
    config.api_key_cmd.clear();
  }
  if (!settings.api_key_cmd.empty()) {
    config.api_key_cmd = settings.api_key_cmd;
    config.api_key_env.clear();
  }
  for (const auto& header : settings.headers) {
    auto colon = header.find(':');
    if (colon == std::string::npos || colon == 0)
      // Not echoed: a value without its name may well be the secret itself.
      throw Error(ErrorKind::usage, "--header takes NAME:VALUE, got a value with no NAME: before it");
    auto value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    config.headers[header.substr(0, colon)] = value;
  }
  if (settings.connect_timeout_ms > 0) config.connect_timeout_ms = settings.connect_timeout_ms;
  if (settings.idle_timeout_ms > 0) config.idle_timeout_ms = settings.idle_timeout_ms;
  if (settings.total_timeout_ms > 0) config.total_timeout_ms = settings.total_timeout_ms;
  if (settings.max_retries >= 0) config.max_retries = settings.max_retries;
  if (!settings.region.empty()) config.region = settings.region;
  if (!settings.aws_profile.empty()) config.aws_profile = settings.aws_profile;
  if (!settings.budget.empty()) {
    json budget = config.budget.is_object() ? config.budget : json::object();
    budget.update(settings.budget);
    check_limit_blocks({{"budget", budget}});
    config.budget = budget;
  }

  // Azure's base URL names one of its URL forms; say which are known now,
  // not at the first chat.
  if (config.kind == ProviderKind::azure) azure_form(config);
  // Bedrock's endpoint follows from the region when no base URL overrides it.
  const bool base_url_optional = config.kind == ProviderKind::bedrock;
  if (config.kind != ProviderKind::extractive && !(base_url_optional && config.base_url.empty())) {
    if (config.base_url.empty()) {
      std::string presets;
      for (const auto& candidate : provider_presets())
        presets += (presets.empty() ? "" : ", ") + std::string(candidate.name);
      throw Error(ErrorKind::usage,
                  "provider '" + name + "' needs --base-url (or use a preset name: " + presets + ")");
    }
    if (config.base_url.rfind("http://", 0) != 0 && config.base_url.rfind("https://", 0) != 0)
      throw Error(ErrorKind::usage,
                  "--base-url must start with http:// or https://, got '" + redact_url(config.base_url) + "'");
  }
  while (!config.base_url.empty() && config.base_url.back() == '/') config.base_url.pop_back();
  return config;
}

std::vector<std::string> literal_credentials(const ProviderConfig& config) {
  std::vector<std::string> found;
  if (url_has_secret(config.base_url)) found.push_back("the base URL");
  for (const auto& [header, value] : config.headers)
    if (header_has_secret(header, value)) found.push_back("header " + header);
  return found;
}

}  // namespace weir
