// ExtractiveProvider — the built-in provider `local`, model `extractive`.
//
// It answers with no model at all (principle 4): from the documents the
// engine retrieved for the request (handed over with ground()), it picks the
// sentences that best cover the search query and returns them, each followed
// by its source `[collection/docid]`. It never invents text: when no document
// or no sentence shares a word with the query, it says plainly that nothing
// relevant was found (and when no collection is attached, it says that).
//
// Contract: the engine calls ground() (collections, query, documents best
// first) before chat(); without it the answer says no collection is
// attached. The messages themselves are only read for the question when the
// grounding's query is empty. The answer is
// streamed as one delta per sentence, then a finish delta ("stop") with a
// usage of zero tokens (nothing was sent anywhere); a request with
// stream = false gets all of it in one delta. Deterministic: the
// same request and documents give the same answer.
#pragma once

#include "core/provider/provider.hpp"

namespace weir {

inline constexpr const char* kExtractiveModel = "extractive";

class ExtractiveProvider : public Provider {
 public:
  explicit ExtractiveProvider(ProviderConfig config) : config_(std::move(config)) {}

  ProviderCapabilities capabilities() const override;
  void ground(Grounding grounding) override { grounding_ = std::move(grounding); }
  Completion chat(const ChatRequest& request, const DeltaCallback& on_delta, const CancelToken& cancel) override;
  json describe_request(const ChatRequest& request) const override;
  std::vector<std::string> models(const CancelToken& cancel) override;
  std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                             const CancelToken& cancel) override;

 private:
  ProviderConfig config_;
  Grounding grounding_;
};

// The answer text chat() streams, as lines; exposed for tests.
std::vector<std::string> extractive_answer(const Grounding& grounding, const std::string& question);

}  // namespace weir
