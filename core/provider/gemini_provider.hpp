// The adapter for Google's Generative Language API (Gemini), kind `gemini`.
//
// Contract, on top of Provider's:
// - chat() POSTs {base_url}/models/{model}:generateContent, or
//   :streamGenerateContent with alt=sse when streaming (after the base URL's
//   own query, if it has one), with the body of gemini_request.hpp and the
//   key in the x-goog-api-key header; answers are read by gemini_answer.hpp.
// - Errors: Google's {"error": {code, message, status}} bodies through
//   upstream_call's table, with two readings of 400 INVALID_ARGUMENT: a bad
//   key (API_KEY_INVALID) is authentication, an input over the model's token
//   limit is usage (the request must shrink); the upstream's message is kept.
//   429 RESOURCE_EXHAUSTED and 500/503 are retried there.
// - models() lists GET {base_url}/models (following nextPageToken), the names
//   without their "models/" prefix; embeddings() POSTs :batchEmbedContents in
//   batches of at most 100, answers in input order.
// - describe_request() never resolves the key (a placeholder is shown) and
//   redacts the URL and headers (core/redaction.hpp).
// One instance serves one caller at a time (the engine's tool loop reuses it,
// which is what carries thought signatures and call numbers across turns).
#pragma once

#include "core/provider/gemini_request.hpp"
#include "core/provider/provider.hpp"

namespace weir {

class GeminiProvider final : public Provider {
 public:
  explicit GeminiProvider(ProviderConfig config);

  ProviderCapabilities capabilities() const override;
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) override;
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  ProviderConfig config_;
  ThoughtSignatures signatures_;
  int calls_made_ = 0;
};

}  // namespace weir
