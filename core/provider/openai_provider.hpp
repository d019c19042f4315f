// The adapter for OpenAI-compatible chat-completions services.
//
// Serves ProviderKind::openai and ::ollama (Ollama's /v1 speaks the same
// protocol), and through them OpenAI, llama.cpp server, vLLM, LM Studio,
// OpenRouter, Groq, Mistral, DeepSeek, Together and the like; and
// ProviderKind::azure, whose URLs and key header differ (an OpenAiEndpoint,
// openai_endpoint.hpp, chosen from the kind, says where each call goes).
//
// Contract, on top of Provider's:
// - chat() POSTs to the endpoint's chat URL ({base_url}/chat/completions for
//   the standard one) with the body
//   {model, messages, <each sampling field set>, tools, tool_choice,
//   response_format, stream} plus stream_options.include_usage when
//   streaming. The key is resolved (resolve_api_key) before anything is sent
//   and sent in the endpoint's key header (Authorization: Bearer, api-key).
// - Streams are parsed incrementally (SSE); a server that ignores `stream`
//   and answers with one JSON object is accepted. A stream that ends without
//   [DONE] is accepted only if a finish_reason arrived.
// - HTTP statuses, retries and backoff are upstream_call.hpp's.
// - Content parts go out as the engine checked them (content_parts.hpp):
//   image_url for both kinds; input_audio and file only for kind openai
//   (Ollama's /v1 takes neither), as capabilities() says.
// - describe_request() never resolves the key or a header reference, and shows
//   the URL and headers redacted (core/redaction.hpp); models() lists GET
//   /models, or is Error(usage) when the endpoint has no model list.
// - Error(usage) at construction for an azure base URL of no known form.
#pragma once

#include <memory>

#include "core/provider/openai_endpoint.hpp"
#include "core/provider/provider.hpp"

namespace weir {

class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(ProviderConfig config);

  ProviderCapabilities capabilities() const override;
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta,
                  const CancelToken& cancel) override;
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  json moderations(const std::string& model, const std::string& input, const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  ProviderConfig config_;
  std::unique_ptr<OpenAiEndpoint> endpoint_;
};

}  // namespace weir
