#include "core/error.hpp"
#include "core/provider/anthropic_provider.hpp"
#include "core/provider/extractive_provider.hpp"
#include "core/provider/openai_provider.hpp"
#include "core/provider/provider.hpp"

namespace weir {

std::unique_ptr<Provider> make_provider(const ProviderConfig& config) {
  switch (config.kind) {
    case ProviderKind::openai:
    case ProviderKind::ollama:
      // Ollama serves an OpenAI-compatible API under /v1.
      return std::make_unique<OpenAiProvider>(config);
    case ProviderKind::extractive:
      return std::make_unique<ExtractiveProvider>(config);
    case ProviderKind::anthropic:
      return std::make_unique<AnthropicProvider>(config);
    case ProviderKind::gemini:
      break;
    case ProviderKind::azure:
      break;
    case ProviderKind::bedrock:
      break;
  }
  throw Error(ErrorKind::usage,
              "provider kind '" + std::string(to_string(config.kind)) +
                  "' is not supported yet (provider '" + config.name +
                  "'); use an OpenAI-compatible endpoint (kind openai or ollama) or the built-in `local` (extractive)");
}

}  // namespace weir
