#include "core/provider/provider_check.hpp"

#include <memory>
#include <utility>
#include <vector>

namespace weir {

namespace {

using Clock = std::chrono::steady_clock;

ProviderCheckFailure failure_of(const Error& error) {
  return {error.kind(), error.code().empty() ? std::string(default_error_code(error.kind())) : error.code(),
          error.what()};
}

// Only the caller's cancel is the caller's; every other failure is what the
// provider did, and the check reports it.
void rethrow_if_interrupted(const Error& error) {
  if (error.kind() == ErrorKind::interrupted) throw;
}

}  // namespace

json ProviderCheck::to_json() const {
  json object = {{"provider", provider}, {"model", model}, {"ok", ok()}, {"latency_ms", latency.count()}};
  if (failure) {
    object["error"] = {{"kind", error_kind_name(failure->kind)}, {"code", failure->code}, {"message", failure->message}};
  } else {
    object["answer"] = answer;
    object["finish_reason"] = finish_reason;
  }
  return object;
}

ProviderCheck check_provider(const ProviderConfig& config, const ProviderCheckOptions& options,
                             const CancelToken& cancel) {
  // One attempt: retries would hide the failure behind backoff, and the user
  // asked how the provider is now.
  ProviderConfig once = config;
  once.max_retries = 0;
  std::unique_ptr<Provider> adapter = options.providers ? options.providers(once) : make_provider(once);
  const auto now = [&] { return options.clock ? options.clock() : Clock::now(); };
  const auto since = [&](Clock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now() - started);
  };

  ProviderCheck check;
  check.provider = config.name;
  if (options.model) {
    if (options.model->empty())
      throw Error(ErrorKind::usage, "the model to test provider '" + config.name +
                                        "' with is empty; name one with --model MODEL, or leave --model out to "
                                        "test the first model the provider lists");
    check.model = *options.model;
  } else {
    const auto started = now();
    std::vector<std::string> ids;
    try {
      ids = adapter->models(cancel);
    } catch (const Error& error) {
      rethrow_if_interrupted(error);
      // A kind (or URL form) that cannot list models: the caller must name one.
      if (error.kind() == ErrorKind::usage)
        throw Error(ErrorKind::usage, "no model to test provider '" + config.name + "' with: " + error.what() +
                                          "; name one with --model MODEL");
      check.latency = since(started);
      check.failure = failure_of(error);
      return check;
    }
    if (ids.empty())
      throw Error(ErrorKind::usage, "no model to test provider '" + config.name +
                                        "' with: it lists no models; name one with --model MODEL");
    check.model = ids.front();
    check.model_listed = true;
    check.listed_models = ids.size();
  }

  ChatRequest request;
  request.model = check.model;
  request.messages = json::array({{{"role", "user"}, {"content", kCheckPrompt}}});
  request.sampling.max_tokens = kCheckMaxTokens;
  request.stream = false;
  const auto started = now();
  try {
    // The answer is the folded completion; the deltas need no one.
    Completion completion = adapter->chat(request, [](const StreamDelta&) {}, cancel);
    check.latency = since(started);
    check.answer = std::move(completion.content);
    check.finish_reason = std::move(completion.finish_reason);
  } catch (const Error& error) {
    rethrow_if_interrupted(error);
    check.latency = since(started);
    check.failure = failure_of(error);
  }
  return check;
}

}  // namespace weir
