// The adapter for Amazon Bedrock's Converse API (ProviderKind::bedrock).
//
// Contract, on top of Provider's:
// - chat() POSTs {endpoint}/model/{modelId}/converse, or /converse-stream when
//   streaming, with the body of bedrock_converse_body.hpp. The endpoint is
//   https://bedrock-runtime.{region}.amazonaws.com, or the provider's base_url
//   when one is set (a VPC endpoint, a proxy, a test's fake). The model id is
//   percent-encoded in the path (':' -> %3A, '/' of an ARN -> %2F).
// - Every attempt is signed afresh with AWS SigV4 (service "bedrock") from the
//   credentials and region of aws_credentials.hpp, resolved before anything is
//   sent: missing credentials never cost a request.
// - Streams are application/vnd.amazon.eventstream (aws_event_stream.hpp):
//   messageStart, contentBlockStart (toolUse id and name), contentBlockDelta
//   (text, toolUse input fragments, reasoningContent text), contentBlockStop,
//   messageStop (stopReason), metadata (usage). An exception frame ends the
//   call: throttlingException is rate_limited, validationException usage,
//   the others upstream (retried while nothing was delivered).
// - stopReason: end_turn and stop_sequence -> stop, max_tokens -> length,
//   tool_use -> tool_calls, guardrail_intervened and content_filtered ->
//   content_filter. Usage: prompt_tokens = inputTokens + cacheReadInputTokens
//   + cacheWriteInputTokens, with the cache parts in cached_tokens and
//   cache_write_tokens.
// - HTTP errors: 401/403 (UnrecognizedClientException, AccessDeniedException,
//   a bad signature) are authentication; 400 ValidationException (including
//   "input is too long") is usage with Bedrock's message; the rest, retries
//   and backoff are upstream_call.hpp's.
// - describe_request() shows the URL, headers and body with the Authorization
//   header as a placeholder naming where the key comes from; it never reads a
//   credential. models() lists GET https://bedrock.{region}.amazonaws.com/
//   foundation-models (or {base_url}/foundation-models), signed.
// - embeddings() is Error(usage): Bedrock's embedding models are served by
//   InvokeModel, which this adapter does not speak.
#pragma once

#include <chrono>
#include <functional>

#include "core/provider/provider.hpp"

namespace weir {

class BedrockProvider final : public Provider {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // `clock` gives the signing time (tests pin it); the system clock by default.
  explicit BedrockProvider(ProviderConfig config, Clock clock = {});

  ProviderCapabilities capabilities() const override;
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) override;
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  ProviderConfig config_;
  Clock clock_;
};

}  // namespace weir
