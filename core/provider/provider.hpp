// Provider — one upstream model service, behind one interface.
//
// A ProviderConfig is what `weir provider add` stores; make_provider() turns it
// into an adapter that speaks that service's wire format. Adapters translate at
// the edge (principle 2): callers hand them a ChatRequest and receive
// normalised StreamDeltas and a folded Completion, whatever the wire said.
//
// Contract for chat(): on_delta is called on the calling thread for every
// upstream chunk as soon as it is parsed (exactly once, with everything, for a
// non-streaming request); the return value is the fold of those deltas. Every
// failure is a weir::Error (upstream, upstream_timeout, authentication,
// rate_limited, interrupted when `cancel` fires). Retries of 429/5xx/connection
// errors happen inside, and only before the first delta was delivered.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/provider/chat.hpp"

namespace weir {

enum class ProviderKind { openai, anthropic, gemini, azure, bedrock, ollama, extractive };

std::string_view to_string(ProviderKind kind) noexcept;
// Throws Error(usage) naming the valid kinds.
ProviderKind parse_provider_kind(std::string_view text);

struct ProviderConfig {
  std::string name;
  ProviderKind kind = ProviderKind::openai;
  std::string base_url;       // e.g. https://api.openai.com/v1 (no trailing slash)
  std::string api_key_env;    // name of the environment variable holding the key
  std::string api_key_cmd;    // or a shell command that prints it
  std::map<std::string, std::string> headers;  // sent with every request
  int connect_timeout_ms = 10'000;
  int idle_timeout_ms = 120'000;  // longest silence between upstream bytes
  // Longest one upstream request may take from send to its last byte, however
  // busy the upstream keeps it (SSE comments reset the idle timeout).
  int total_timeout_ms = 600'000;
  int max_retries = 2;            // extra attempts on 429/5xx/connection errors
  // Bedrock: the AWS region (else AWS_REGION, then AWS_DEFAULT_REGION) and
  // the profile of the shared credentials file (else AWS_PROFILE, then
  // "default") when the key variables are not set.
  std::string region;
  std::string aws_profile;
  // The provider's `budget` block ({"usd_per_day": 5, "action": "block"},
  // validated like a gateway's; null: none): what requests it serves may
  // spend (core/engine/request_limits.hpp).
  json budget = nullptr;

  // Everything, as stored. The API key is never in it (only where to find
  // it), but a base URL or header the user wrote a credential into is.
  json to_json() const;
  static ProviderConfig from_json(const json& object);
  // This config as it may be shown: credentials in the base URL and in header
  // values redacted (core/redaction.hpp). Everything that prints a provider
  // prints this.
  ProviderConfig redacted() const;
};

// Well-known OpenAI-compatible services: base URL and key variable filled in.
struct ProviderPreset {
  std::string_view name;
  ProviderKind kind;
  std::string_view base_url;
  std::string_view api_key_env;  // empty: the service needs no key
};
const std::vector<ProviderPreset>& provider_presets();
const ProviderPreset* find_provider_preset(std::string_view name);

using DeltaCallback = std::function<void(const StreamDelta&)>;

// What an adapter's service can do; the engine asks this instead of checking
// the provider's kind.
struct ProviderCapabilities {
  bool streaming = true;       // answers arrive as deltas while generated
  bool tools = true;           // function tools (server-side and the client's)
  bool prefill = true;         // a trailing assistant message is continued
  bool system_role = true;     // system messages are understood
  bool json_schema = false;    // response_format json_schema is enforced natively
  bool image_input = false;    // image_url content parts
  bool audio_input = false;    // input_audio content parts
  bool file_input = false;     // file content parts (PDFs and other documents)
  bool embeddings = false;     // embeddings() works
  bool reasoning = false;      // reasoning_effort and reasoning deltas
  bool query_rewrite = true;   // can rewrite a search query (a model that writes text)
  // Answers from the retrieved documents alone, handed over with ground()
  // (the extractive provider): the engine must retrieve for it even when the
  // strategy would offer tools.
  bool answers_from_documents = false;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual ProviderCapabilities capabilities() const = 0;
  virtual Completion chat(const ChatRequest& request, const DeltaCallback& on_delta,
                          const CancelToken& cancel) = 0;
  // What the engine's retrieval found for the request this adapter will
  // serve, given before chat() and describe_request(). Only a provider whose
  // capabilities say answers_from_documents keeps it; every other one ignores
  // it, because the documents already sit in the prompt it sends. Retrieval
  // results never travel in the ChatRequest, which holds only what a wire
  // format carries.
  virtual void ground(Grounding) {}
  // What chat() would send, without sending it: {method, url, headers, body}.
  // Secrets are shown as a placeholder naming where they come from, or
  // redacted (core/redaction.hpp) when they are written into the config.
  virtual json describe_request(const ChatRequest& request) const = 0;
  // The model ids the service offers (GET /models for OpenAI-compatible ones).
  virtual std::vector<std::string> models(const CancelToken& cancel) = 0;
  // One embedding per input, in input order (POST /embeddings with
  // encoding_format "float"), retried like chat(). Services without an
  // embeddings endpoint throw Error(usage).
  virtual std::vector<std::vector<float>> embeddings(const std::string& model, const std::vector<std::string>& inputs,
                                                     const CancelToken& cancel) = 0;
  // The service's moderation answer for `input` (POST /moderations, OpenAI's
  // wire format: {"results": [{"category_scores": {...}}]}), retried like
  // chat(). Services without one throw Error(usage) saying to use a judge.
  virtual json moderations(const std::string& model, const std::string& input, const CancelToken& cancel);
};

// The adapter for a provider's wire format. Error(usage) for a kind with no
// adapter yet.
std::unique_ptr<Provider> make_provider(const ProviderConfig& config);

// How the engine gets adapters: make_provider by default; a test injects a
// fake, and a decorator (routing, a cache) wraps another factory.
using ProviderFactory = std::function<std::unique_ptr<Provider>(const ProviderConfig& config)>;

}  // namespace weir
