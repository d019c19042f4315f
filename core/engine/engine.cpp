#include "core/engine/engine.hpp"

#include <algorithm>
#include <chrono>

#include "core/engine/context_budget.hpp"
#include "core/engine/instructions.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/store/database.hpp"
#include "core/store/provider_repository.hpp"

namespace weir {

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Splits request overrides into gateway-config fields (validated by the
// gateway schema) and pass-through body fields (tools, tool_choice,
// response_format), after checking the gateway allows each one.
void apply_overrides(const json& overrides, Gateway& gateway, json& passthrough) {
  if (overrides.is_null() || overrides.empty()) return;
  if (!overrides.is_object()) throw Error(ErrorKind::usage, "request overrides must be a JSON object");
  auto allowed = gateway.config.overridable();
  json config_changes = json::object();
  for (const auto& [key, value] : overrides.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
      throw Error(ErrorKind::usage, "gateway '" + gateway.name + "' does not let a request set '" + key +
                                        "'; it allows: " + (list.empty() ? "nothing" : list) +
                                        " (change with `weir gateway update " + gateway.name + " --overridable ...`)");
    }
    if (key == "tools") {
      if (!value.is_array()) throw Error(ErrorKind::usage, "'tools' must be an array of tool definitions");
      passthrough[key] = value;
    } else if (key == "tool_choice") {
      if (!value.is_string() && !value.is_object())
        throw Error(ErrorKind::usage, "'tool_choice' must be a string or an object");
      passthrough[key] = value;
    } else if (key == "response_format") {
      if (!value.is_object() || !value.contains("type"))
        throw Error(ErrorKind::usage, "'response_format' must be an object with a \"type\"");
      passthrough[key] = value;
    } else {
      config_changes[key] = value;
    }
  }
  if (!config_changes.empty()) gateway.config = gateway.config.merged(config_changes);
}

void apply_prompt_template(json& messages, const std::string& prompt_template) {
  if (prompt_template.empty()) return;
  for (size_t index = messages.size(); index-- > 0;) {
    auto& message = messages[index];
    if (message.value("role", "") != "user") continue;
    if (!message["content"].is_string()) return;  // content parts: leave as the client sent them
    std::string text = prompt_template;
    const std::string placeholder = "{prompt}";
    const std::string prompt = message["content"].get<std::string>();
    for (size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + prompt.size()))
      text.replace(at, placeholder.size(), prompt);
    message["content"] = text;
    return;
  }
}

void check_messages(const json& messages) {
  if (!messages.is_array() || messages.empty())
    throw Error(ErrorKind::usage, "a chat needs at least one message");
  for (size_t index = 0; index < messages.size(); ++index) {
    const auto& message = messages[index];
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string())
      throw Error(ErrorKind::usage, "message " + std::to_string(index) + " has no \"role\"");
    auto role = message["role"].get<std::string>();
    if (role != "system" && role != "developer" && role != "user" && role != "assistant" && role != "tool")
      throw Error(ErrorKind::usage, "message " + std::to_string(index) + " has an unknown role '" + role +
                                        "'; use system, developer, user, assistant or tool");
    // JSON text must be UTF-8: find bad bytes here, where we can say which
    // message holds them, rather than when the upstream body is serialised.
    try {
      (void)message.dump();
    } catch (const json::type_error& error) {
      throw Error(ErrorKind::usage, "message " + std::to_string(index) + " (" + role +
                                        ") is not valid UTF-8 text: " + error.what() +
                                        "; convert it first (e.g. iconv -f latin1 -t utf-8)");
    }
  }
}

}  // namespace

Engine::Engine(Database& database, Paths paths) : database_(database), paths_(std::move(paths)) {}

PreparedChat Engine::prepare(const ChatInput& input) {
  PreparedChat prepared;
  GatewayRepository gateways(database_);
  prepared.gateway = gateways.resolve_target(input.target);
  auto& gateway = prepared.gateway;

  json passthrough = json::object();
  apply_overrides(input.overrides, gateway, passthrough);
  const auto& config = gateway.config;
  prepared.provider = ProviderRepository(database_).resolve(config.provider());

  check_messages(input.messages);
  json messages = json::array();
  auto system_text = assemble_system_text(config, database_);
  if (!system_text.empty()) messages.push_back({{"role", "system"}, {"content", system_text}});
  for (const auto& message : input.messages) messages.push_back(message);
  apply_prompt_template(messages, config.prompt_template());
  prepared.prefill = config.prefill();
  if (!prepared.prefill.empty()) messages.push_back({{"role", "assistant"}, {"content", prepared.prefill}});

  json parameters = config.sampling();
  auto stop = config.stop();
  if (!stop.empty()) parameters["stop"] = stop;
  for (const auto& [key, value] : passthrough.items()) parameters[key] = value;

  if (auto limit = config.max_context_tokens()) {
    long long budget = *limit - parameters.value("max_tokens", 0LL);
    if (budget < 1)
      throw Error(ErrorKind::usage, "gateway '" + gateway.name + "': max_tokens (" +
                                        std::to_string(parameters.value("max_tokens", 0LL)) +
                                        ") leaves no room for the prompt within max_context_tokens (" +
                                        std::to_string(*limit) + ")");
    prepared.dropped_messages = fit_context(messages, budget, config.on_overflow());
  }

  prepared.request.model = config.model();
  prepared.request.messages = std::move(messages);
  prepared.request.parameters = std::move(parameters);
  prepared.request.stream = input.stream;
  return prepared;
}

json Engine::describe(const ChatInput& input) {
  auto prepared = prepare(input);
  return make_provider(prepared.provider)->describe_request(prepared.request);
}

ChatResult Engine::run(const ChatInput& input, const DeltaCallback& on_delta, const CancelToken& cancel) {
  auto start = Clock::now();
  ChatResult result;
  auto& record = result.record;
  record.front_door = input.front_door;
  record.metadata = input.metadata;
  record.gateway_name = input.target;
  RequestLog log(database_);
  // A failure before or during the call is logged, then reaches the front door unchanged.
  auto log_failure = [&](const Error& error) {
    record.status = error.kind() == ErrorKind::interrupted ? "cancelled" : "error";
    record.error = error.what();
    record.latency_ms = milliseconds_since(start);
    try {
      log.record(record);
    } catch (const Error&) {
      // The original error matters more than a log row we could not write.
    }
  };

  try {
    auto prepared = prepare(input);
    record.gateway_id = prepared.gateway.id;
    record.gateway_name = prepared.gateway.name;
    record.provider = prepared.provider.name;
    record.model = prepared.request.model;
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");

    auto provider = make_provider(prepared.provider);
    bool first = true;
    auto forward = [&](const StreamDelta& delta) {
      if (first) {
        first = false;
        record.time_to_first_token_ms = milliseconds_since(start);
        if (!prepared.prefill.empty()) {
          StreamDelta prefill;
          prefill.content = prepared.prefill;
          on_delta(prefill);
        }
      }
      on_delta(delta);
    };
    auto& completion = result.completion;
    completion = provider->chat(prepared.request, forward, cancel);
    completion.content = prepared.prefill + completion.content;
    if (completion.finish_reason.empty()) completion.finish_reason = "stop";

    PriceTable prices = PriceTable::load(paths_.prices);
    Usage usage = completion.usage.value_or(Usage{});
    json usage_lines = prices.usage_lines(usage, prepared.provider.name, prepared.request.model, "chat completion");

    json message = completion.assistant_message();
    if (!completion.reasoning.empty()) message["reasoning_content"] = completion.reasoning;
    result.response = {
        {"id", "chatcmpl-" + new_uuid_v7()},
        {"object", "chat.completion"},
        {"created", now_milliseconds() / 1000},
        {"model", completion.model.empty() ? prepared.request.model : completion.model},
        {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", completion.finish_reason}}})},
        {"usage", usage.to_json()},
        {"generation_context",
         {{"gateway", prepared.gateway.is_bare() ? json(nullptr)
                                                 : json{{"id", prepared.gateway.id}, {"name", prepared.gateway.name}}},
          {"generated_usage", usage_lines},
          {"runned_functions", json::array()},
          {"dropped_messages", prepared.dropped_messages}}},
    };

    record.status = "ok";
    record.prompt_tokens = usage.prompt_tokens;
    record.completion_tokens = usage.completion_tokens;
    record.cached_tokens = usage.cached_tokens;
    record.usage_lines = usage_lines;
    record.cost = total_amount(usage_lines);
    record.latency_ms = milliseconds_since(start);
    log.record(record);
    result.response["generation_context"]["request_id"] = record.id;
    return result;
  } catch (const Error& error) {
    log_failure(error);
    throw;
  }
}

}  // namespace weir
