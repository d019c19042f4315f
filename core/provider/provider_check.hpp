// Provider check — `weir provider test`: does this provider answer right now,
// and how fast?
//
// check_provider() sends one tiny chat (the one-word prompt kCheckPrompt,
// max_tokens kCheckMaxTokens, not streamed) through the adapter the given
// factory makes (make_provider, as the engine does), and times it. The
// adapter gets a copy of the config with max_retries 0: a failure is reported
// at once, as the service gave it, instead of after backoff.
//
// Without a model it asks the provider's model list (Provider::models) and
// tests the first one; that list can hold models that do not chat (OpenAI's
// lists embedding and image models too), so the result says it was listed.
//
// What the provider does is a result, never a throw: an answer (ok) or the
// weir::Error it failed with (its kind, code and message, exactly), whether
// the chat or the model list failed. What throws is the caller's part:
// Error(usage) when no model is given and the provider cannot list one,
// Error(interrupted) when `cancel` fires. Runs on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/cancellation.hpp"
#include "core/error.hpp"
#include "core/provider/provider.hpp"

namespace weir {

inline constexpr const char* kCheckPrompt = "Ping";
// Enough for a short word from any model; a reasoning model may spend it all
// thinking and answer nothing, which still proves the provider answers.
inline constexpr int kCheckMaxTokens = 16;

struct ProviderCheckOptions {
  std::optional<std::string> model;  // absent: the first model the provider lists
  ProviderFactory providers;         // empty: make_provider
  // The clock the latency is measured with; empty: std::chrono::steady_clock.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

struct ProviderCheckFailure {
  ErrorKind kind = ErrorKind::upstream;
  std::string code;  // the error's code, else the kind's default code
  std::string message;
};

struct ProviderCheck {
  std::string provider;
  std::string model;           // "" when listing the models failed
  bool model_listed = false;   // the model came from the provider's list, not the caller
  size_t listed_models = 0;    // how many the list held, when it was asked
  // Of the request that answered or failed (the chat, or the model list when
  // that failed first), from send to the folded answer.
  std::chrono::milliseconds latency{0};
  std::string answer;          // the answer's text (ok only)
  std::string finish_reason;   // "stop", "length", ... (ok only)
  std::optional<ProviderCheckFailure> failure;

  bool ok() const { return !failure.has_value(); }
  // {provider, model, ok, latency_ms, answer, finish_reason} or
  // {provider, model, ok, latency_ms, error: {kind, code, message}}: the
  // stable shape of `weir provider test --json`.
  json to_json() const;
};

ProviderCheck check_provider(const ProviderConfig& config, const ProviderCheckOptions& options,
                             const CancelToken& cancel);

}  // namespace weir
