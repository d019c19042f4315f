// The adapter for OpenAI-compatible chat-completions services.
//
// Serves ProviderKind::openai and ::ollama (Ollama's /v1 speaks the same
// protocol), and through them OpenAI, llama.cpp server, vLLM, LM Studio,
// OpenRouter, Groq, Mistral, DeepSeek, Together and the like.
//
// Contract, on top of Provider's:
// - chat() POSTs {base_url}/chat/completions with the body
//   {model, messages, <every request parameter verbatim>, stream} plus
//   stream_options.include_usage when streaming (unless the parameters set
//   stream_options themselves). The key is resolved (resolve_api_key) before
//   anything is sent.
// - Streams are parsed incrementally (SSE); a server that ignores `stream`
//   and answers with one JSON object is accepted. A stream that ends without
//   [DONE] is accepted only if a finish_reason arrived.
// - HTTP errors become weir::Errors carrying the upstream's own message:
//   401/403 authentication, 404 upstream (model or endpoint not found), 429
//   rate_limited, 5xx upstream, other 4xx upstream ("rejected the request").
//   429, 500, 502, 503, 504, 529 and connection failures are retried up to
//   max_retries times with exponential backoff and jitter, honouring
//   Retry-After; a Retry-After beyond 30 s fails at once and says when to
//   retry. Waits are cancellable.
// - describe_request() never resolves the key; models() lists GET /models.
#pragma once

#include "core/provider/provider.hpp"

namespace weir {

class OpenAiProvider final : public Provider {
 public:
  explicit OpenAiProvider(ProviderConfig config);

  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta,
                  const CancelToken& cancel) override;
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  ProviderConfig config_;
};

}  // namespace weir
