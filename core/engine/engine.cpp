#include "core/engine/engine.hpp"

#include <algorithm>
#include <chrono>

#include "core/engine/collection_search_tools.hpp"
#include "core/engine/context_budget.hpp"
#include "core/engine/document_injection.hpp"
#include "core/engine/instructions.hpp"
#include "core/engine/retrieval.hpp"
#include "core/engine/tool_loop.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/rag/search.hpp"
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

constexpr const char* kDocumentsPreamble =
    "Documents retrieved from the knowledge collections for the message below. Use those that are relevant, "
    "cite them by collection and docid, and say so when none of them answers it.";

// The retrieved documents as ChatRequest::grounding and as the short list
// generation_context reports.
void record_hits(const RetrievalResult& retrieval, ChatRequest& request, json& listed) {
  for (const auto& collection : retrieval.collections) request.grounding.collections.push_back(collection.name);
  request.grounding.query = retrieval.query;
  for (const auto& hit : retrieval.hits) {
    request.grounding.documents.push_back(
        {hit.collection, hit.document.docid, hit.document.ref.value_or(""), hit.document.text, hit.score});
    json entry = {{"collection", hit.collection},
                  {"docid", hit.document.docid},
                  {"ref", hit.document.ref ? json(*hit.document.ref) : json(nullptr)},
                  {"score", hit.score}};
    if (!hit.reference_of.empty()) entry["reference_of"] = hit.reference_of;
    listed.push_back(std::move(entry));
  }
}

// Server-side search tools join the client's tools; a name clash would make
// the model's calls ambiguous, so it is refused.
void offer_tools(json& parameters, const CollectionSearchTools& tools) {
  json combined = parameters.contains("tools") ? parameters["tools"] : json::array();
  for (const auto& tool : combined) {
    auto name = tool.is_object() && tool.contains("function") && tool["function"].is_object()
                    ? tool["function"].value("name", "")
                    : std::string();
    if (tools.handles(name))
      throw Error(ErrorKind::usage, "the request defines a tool named '" + name +
                                        "', which is the gateway's own collection search tool; rename it");
  }
  for (const auto& tool : tools.definitions()) combined.push_back(tool);
  parameters["tools"] = std::move(combined);
}

}  // namespace

Engine::Engine(Database& database, Paths paths, Searcher* shared_searcher)
    : database_(database), paths_(std::move(paths)), shared_searcher_(shared_searcher) {}

Engine::~Engine() = default;

Searcher& Engine::searcher() {
  if (shared_searcher_) return *shared_searcher_;
  if (!searcher_) searcher_ = std::make_unique<Searcher>(database_, paths_.indexes);
  return *searcher_;
}

PreparedChat Engine::prepare(const ChatInput& input) { return prepare(input, nullptr); }

PreparedChat Engine::prepare(const ChatInput& input, const CancelToken* rewrite_cancel) {
  PreparedChat prepared;
  GatewayRepository gateways(database_);
  prepared.gateway = gateways.resolve_target(input.target);
  auto& gateway = prepared.gateway;

  json passthrough = json::object();
  json overrides = input.overrides;
  if (input.public_caller)
    for (const char* field : {"tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"})
      overrides.erase(field);
  apply_overrides(overrides, gateway, passthrough);
  const auto& config = gateway.config;
  prepared.provider = ProviderRepository(database_).resolve(config.provider());

  check_messages(input.messages);
  json messages = json::array();
  auto system_text = assemble_system_text(config, database_);
  if (!system_text.empty()) messages.push_back({{"role", "system"}, {"content", system_text}});
  for (const auto& message : input.messages) messages.push_back(message);
  apply_prompt_template(messages, config.prompt_template());

  json parameters = config.sampling();
  auto stop = config.stop();
  if (!stop.empty()) parameters["stop"] = stop;
  for (const auto& [key, value] : passthrough.items()) parameters[key] = value;

  if (auto rag = config.rag()) {
    RetrievalInput retrieval_input;
    retrieval_input.settings = *rag;
    if (input.public_caller && retrieval_input.settings.strategy == "query_function")
      retrieval_input.settings.strategy = "plain";
    retrieval_input.conversation = input.messages;
    retrieval_input.main_provider = prepared.provider;
    retrieval_input.main_model = config.model();
    retrieval_input.rewrite_cancel = rewrite_cancel;
    PriceTable prices = PriceTable::load(paths_.prices);
    retrieval_input.prices = &prices;
    CancelToken no_cancel;
    auto retrieval = retrieve(retrieval_input, database_, searcher(), rewrite_cancel ? *rewrite_cancel : no_cancel);
    for (const auto& collection : retrieval.collections) append_to_system(messages, collection.context);
    inject_documents(messages, format_documents(retrieval.hits, kDocumentsPreamble));
    if (retrieval.search_tools) offer_tools(parameters, *retrieval.search_tools);
    record_hits(retrieval, prepared.request, prepared.retrieved);
    prepared.strategy = retrieval.strategy;
    prepared.search_query = retrieval.query;
    prepared.rewrite_error = retrieval.rewrite_error;
    prepared.rewrite_usage_lines = retrieval.rewrite_usage_lines;
    prepared.search_tools = retrieval.search_tools;
  }

  prepared.prefill = config.prefill();
  if (!prepared.prefill.empty()) messages.push_back({{"role", "assistant"}, {"content", prepared.prefill}});

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
    auto prepared = prepare(input, &cancel);
    record.gateway_id = prepared.gateway.id;
    record.gateway_name = prepared.gateway.name;
    record.provider = prepared.provider.name;
    record.model = prepared.request.model;
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");

    auto provider = make_provider(prepared.provider);
    bool first = true;
    auto forward = [&](const StreamDelta& delta) {
      if (delta.server_tool) {  // tool activity is not the answer's first token
        on_delta(delta);
        return;
      }
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
    ToolLoopOptions loop;
    if (auto tools = prepared.search_tools) {
      loop.is_server_tool = [tools](const std::string& name) { return tools->handles(name); };
      loop.run_server_tool = [this, tools](const ToolCall& call, const CancelToken& token) {
        return tools->run(call, searcher(), token);
      };
      auto rag = prepared.gateway.config.rag();
      loop.max_rounds = rag ? rag->max_tool_iterations : loop.max_rounds;
      loop.cap_advice = prepared.gateway.is_bare()
                            ? std::string("raise rag.max_tool_iterations")
                            : "raise the cap with `weir gateway update " + prepared.gateway.name +
                                  " --max-tool-iterations N`, or ask a narrower question";
    }
    auto loop_result = run_tool_loop(*provider, prepared.request, loop, forward, cancel);
    auto& completion = result.completion;
    completion = std::move(loop_result.completion);
    completion.content = prepared.prefill + completion.content;
    if (completion.finish_reason.empty()) completion.finish_reason = "stop";

    PriceTable prices = PriceTable::load(paths_.prices);
    Usage usage = completion.usage.value_or(Usage{});
    json usage_lines = prepared.rewrite_usage_lines;
    std::string purpose = loop_result.upstream_calls > 1
                              ? "chat completion (" + std::to_string(loop_result.upstream_calls) + " model calls)"
                              : "chat completion";
    for (auto& line : prices.usage_lines(usage, prepared.provider.name, prepared.request.model, purpose))
      usage_lines.push_back(std::move(line));
    json runned_functions = json::array();
    for (const auto& function : loop_result.functions) runned_functions.push_back(function.to_json());

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
          {"runned_functions", runned_functions},
          {"dropped_messages", prepared.dropped_messages}}},
    };
    if (!prepared.strategy.empty()) {
      json retrieval = {{"strategy", prepared.strategy},
                        {"query", prepared.search_query.empty() ? json(nullptr) : json(prepared.search_query)},
                        {"documents", prepared.retrieved}};
      if (!prepared.rewrite_error.empty()) {
        retrieval["rewrite_error"] = prepared.rewrite_error;
        // The request log keeps why the rewrite was skipped, next to the caller's metadata.
        if (!record.metadata.is_object()) record.metadata = json::object();
        record.metadata["rewrite_error"] = prepared.rewrite_error;
      }
      result.response["generation_context"]["retrieval"] = std::move(retrieval);
    }

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
