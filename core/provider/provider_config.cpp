#include <array>

#include "core/error.hpp"
#include "core/provider/provider.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {
constexpr std::array<std::pair<ProviderKind, std::string_view>, 7> kKindNames{{
    {ProviderKind::openai, "openai"},
    {ProviderKind::anthropic, "anthropic"},
    {ProviderKind::gemini, "gemini"},
    {ProviderKind::azure, "azure"},
    {ProviderKind::bedrock, "bedrock"},
    {ProviderKind::ollama, "ollama"},
    {ProviderKind::extractive, "extractive"},
}};
}  // namespace

std::string_view to_string(ProviderKind kind) noexcept {
  for (const auto& [candidate, name] : kKindNames)
    if (candidate == kind) return name;
  return "openai";
}

ProviderKind parse_provider_kind(std::string_view text) {
  for (const auto& [kind, name] : kKindNames)
    if (name == text) return kind;
  throw Error(ErrorKind::usage, "unknown provider kind '" + std::string(text) +
                                    "'; use one of: openai, anthropic, gemini, azure, bedrock, ollama, extractive");
}

json ProviderConfig::to_json() const {
  json object = {{"name", name},
                 {"kind", to_string(kind)},
                 {"base_url", base_url},
                 {"connect_timeout_ms", connect_timeout_ms},
                 {"idle_timeout_ms", idle_timeout_ms},
                 {"total_timeout_ms", total_timeout_ms},
                 {"max_retries", max_retries}};
  if (!api_key_env.empty()) object["api_key_env"] = api_key_env;
  if (!api_key_cmd.empty()) object["api_key_cmd"] = api_key_cmd;
  if (!headers.empty()) object["headers"] = headers;
  if (!region.empty()) object["region"] = region;
  if (!aws_profile.empty()) object["aws_profile"] = aws_profile;
  if (budget.is_object() && !budget.empty()) object["budget"] = budget;
  return object;
}

ProviderConfig ProviderConfig::redacted() const {
  ProviderConfig shown = *this;
  shown.base_url = redact_url(base_url);
  for (auto& [header, value] : shown.headers) value = redact_header_value(header, value);
  return shown;
}

ProviderConfig ProviderConfig::from_json(const json& object) {
  ProviderConfig config;
  config.name = object.value("name", "");
  config.kind = parse_provider_kind(object.value("kind", "openai"));
  config.base_url = object.value("base_url", "");
  config.api_key_env = object.value("api_key_env", "");
  config.api_key_cmd = object.value("api_key_cmd", "");
  if (auto it = object.find("headers"); it != object.end() && it->is_object())
    for (const auto& [key, value] : it->items())
      if (value.is_string()) config.headers[key] = value.get<std::string>();
  config.connect_timeout_ms = object.value("connect_timeout_ms", config.connect_timeout_ms);
  config.idle_timeout_ms = object.value("idle_timeout_ms", config.idle_timeout_ms);
  config.total_timeout_ms = object.value("total_timeout_ms", config.total_timeout_ms);
  config.max_retries = object.value("max_retries", config.max_retries);
  config.region = object.value("region", "");
  config.aws_profile = object.value("aws_profile", "");
  if (auto it = object.find("budget"); it != object.end() && it->is_object()) config.budget = *it;
  return config;
}

const std::vector<ProviderPreset>& provider_presets() {
  static const std::vector<ProviderPreset> presets = {
      {"openai", ProviderKind::openai, "https://api.openai.com/v1", "OPENAI_API_KEY"},
      {"anthropic", ProviderKind::anthropic, "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"},
      {"gemini", ProviderKind::gemini, "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY"},
      // No base URL: every Azure resource has its own (azure_endpoint.hpp).
      {"azure", ProviderKind::azure, "", "AZURE_OPENAI_API_KEY"},
      // Empty base URL: https://bedrock-runtime.{region}.amazonaws.com (bedrock_provider.hpp).
      {"bedrock", ProviderKind::bedrock, "", ""},
      {"ollama", ProviderKind::ollama, "http://127.0.0.1:11434/v1", ""},
      {"openrouter", ProviderKind::openai, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
      {"groq", ProviderKind::openai, "https://api.groq.com/openai/v1", "GROQ_API_KEY"},
      {"mistral", ProviderKind::openai, "https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
      {"deepseek", ProviderKind::openai, "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
      {"together", ProviderKind::openai, "https://api.together.xyz/v1", "TOGETHER_API_KEY"},
      {"xai", ProviderKind::openai, "https://api.x.ai/v1", "XAI_API_KEY"},
      {"fireworks", ProviderKind::openai, "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"},
      {"cerebras", ProviderKind::openai, "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"},
      {"perplexity", ProviderKind::openai, "https://api.perplexity.ai", "PERPLEXITY_API_KEY"},
      {"lmstudio", ProviderKind::openai, "http://127.0.0.1:1234/v1", ""},
      {"vllm", ProviderKind::openai, "http://127.0.0.1:8000/v1", ""},
      {"llamacpp", ProviderKind::openai, "http://127.0.0.1:8080/v1", ""},
      // Built in, offline: answers from retrieved documents (extractive_provider.hpp).
      {"local", ProviderKind::extractive, "", ""},
  };
  return presets;
}

const ProviderPreset* find_provider_preset(std::string_view name) {
  for (const auto& preset : provider_presets())
    if (preset.name == name) return &preset;
  return nullptr;
}

}  // namespace weir
