// Every preset is what its service documents: kind, base URL and the key
// variable its own docs and SDKs read. One row per preset; a preset added to
// the table without a row here fails the count check.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/provider/provider.hpp"

using namespace weir;

namespace {

struct ExpectedPreset {
  std::string name;
  ProviderKind kind;
  std::string base_url;
  std::string api_key_env;
};

// Sources: each service's API reference (OpenAI-compatible base URL, or the
// native API's root for the anthropic and gemini kinds).
const std::vector<ExpectedPreset> kExpected = {
    {"openai", ProviderKind::openai, "https://api.openai.com/v1", "OPENAI_API_KEY"},
    {"anthropic", ProviderKind::anthropic, "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"},
    {"gemini", ProviderKind::gemini, "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY"},
    // Every Azure resource has its own URL: `weir provider add azure --base-url ...`.
    {"azure", ProviderKind::azure, "", "AZURE_OPENAI_API_KEY"},
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
    {"local", ProviderKind::extractive, "", ""},
};

}  // namespace

TEST_CASE("presets: each preset's kind, base URL and key variable are as documented") {
  for (const auto& expected : kExpected) {
    CAPTURE(expected.name);
    const ProviderPreset* preset = find_provider_preset(expected.name);
    REQUIRE(preset != nullptr);
    CHECK(preset->kind == expected.kind);
    CHECK(std::string(preset->base_url) == expected.base_url);
    CHECK(std::string(preset->api_key_env) == expected.api_key_env);
  }
  CHECK(provider_presets().size() == kExpected.size());
}

TEST_CASE("presets: names are unique, hosted services use https, base URLs have no trailing slash") {
  for (size_t index = 0; index < provider_presets().size(); ++index) {
    const auto& preset = provider_presets()[index];
    CAPTURE(preset.name);
    for (size_t other = index + 1; other < provider_presets().size(); ++other)
      CHECK(preset.name != provider_presets()[other].name);
    std::string url(preset.base_url);
    if (url.empty()) continue;
    CHECK(url.back() != '/');
    bool loopback = url.rfind("http://127.0.0.1:", 0) == 0;
    CHECK((loopback || url.rfind("https://", 0) == 0));
    // A hosted service needs a key; a local server needs none.
    CHECK(loopback == preset.api_key_env.empty());
  }
}
