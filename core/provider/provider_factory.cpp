#include "core/error.hpp"
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
      break;
    case ProviderKind::gemini:
      return std::make_unique<GeminiProvider>(config);
    case ProviderKind::bedrock:
      return std::make_unique<BedrockProvider>(config);
  }
  throw Error(ErrorKind::usage,
              "provider kind '" + std::string(to_string(config.kind)) +
                  "' is not supported yet (provider '" + config.name +
                  "'); use an OpenAI-compatible endpoint (kind openai, ollama or azure) or the built-in `local` (extractive)");
}

}  // namespace weir
