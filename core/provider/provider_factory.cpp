#include "core/error.hpp"
#include "core/provider/anthropic_provider.hpp"
#include "core/provider/bedrock_provider.hpp"
#include "core/provider/extractive_provider.hpp"
#include "core/provider/gemini_provider.hpp"
#include "core/provider/openai_provider.hpp"
#include "core/provider/provider.hpp"

namespace weir {

std::unique_ptr<Provider> make_provider(const ProviderConfig& config) {
  switch (config.kind) {
    case ProviderKind::openai:
    case ProviderKind::ollama:
    // Ollama serves an OpenAI-compatible API under /v1; Azure the same wire
    // format at its own URLs (the adapter's endpoint, from the kind).
    case ProviderKind::azure:
      return std::make_unique<OpenAiProvider>(config);
    case ProviderKind::extractive:
      return std::make_unique<ExtractiveProvider>(config);
    case ProviderKind::anthropic:
      return std::make_unique<AnthropicProvider>(config);
    case ProviderKind::gemini:
      return std::make_unique<GeminiProvider>(config);
    case ProviderKind::bedrock:
      return std::make_unique<BedrockProvider>(config);
  }
  // Every kind has an adapter; only a value outside the enum gets here.
  throw Error(ErrorKind::usage, "provider '" + config.name + "' has no known kind; set one with `weir provider add " +
                                    config.name + " --kind KIND`");
}

}  // namespace weir

namespace weir {

json Provider::moderations(const std::string&, const std::string&, const CancelToken&) {
  throw Error(ErrorKind::usage, "this provider's kind has no moderation endpoint; use moderation mode judge "
                                "with one of its models instead");
}

}  // namespace weir
