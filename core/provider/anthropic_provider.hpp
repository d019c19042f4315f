// The adapter for Anthropic's Messages API (ProviderKind::anthropic).
//
// Contract, on top of Provider's:
// - chat() POSTs {base_url}/messages with the body anthropic_request.hpp
//   builds (system on top, content blocks, alternating turns, max_tokens
//   always, default kDefaultMaxTokens = 4096, thinking from reasoning_effort)
//   and the headers x-api-key (the resolved key), anthropic-version
//   (2023-06-01) and content-type; configured headers go over them. A request
//   Anthropic cannot take is Error(usage) before anything is sent, and so is
//   a missing key.
// - The answer (SSE stream or one Message object) is read by
//   AnthropicAnswerReader: text, thinking -> reasoning, tool_use -> tool
//   calls, stop_reason -> finish_reason (refusal -> content_filter), usage
//   with cache read and write tokens.
// - HTTP statuses, retries (429, 529 overloaded, 5xx) and backoff are
//   upstream_call.hpp's; a 400 saying the prompt is too long is Error(usage).
// - describe_request() never resolves the key: x-api-key shows where it comes
//   from ("$ANTHROPIC_API_KEY"); URL and headers are redacted.
// - models() lists GET {base_url}/models (every page); embeddings() is
//   Error(usage): Anthropic has no embeddings endpoint.
#pragma once

#include "core/provider/provider.hpp"

namespace weir {

class AnthropicProvider final : public Provider {
 public:
  explicit AnthropicProvider(ProviderConfig config);

  ProviderCapabilities capabilities() const override;
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
