#include "core/engine/engine.hpp"

#include <chrono>
#include <optional>

#include "core/engine/context_budget.hpp"
#include "core/engine/conversation_log.hpp"
#include "core/engine/hook_actions.hpp"
#include "core/engine/pipeline.hpp"
#include "core/engine/request_limits.hpp"
#include "core/engine/response_cache.hpp"
#include "core/engine/stream_filter.hpp"
#include "core/engine/structured_attempts.hpp"
#include "core/engine/tool_loop.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/metrics/request_metrics.hpp"
#include "core/rag/search.hpp"
#include "core/store/database.hpp"
#include "core/store/request_log_writer.hpp"

namespace weir {

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

ToolLoopOptions tool_loop_options(const RequestContext& context) {
  ToolLoopOptions loop;
  loop.tools = &context.tools;
  loop.tool_result_window = context.gateway.config.tool_result_window();
  if (auto rag = context.gateway.config.rag()) loop.max_rounds = rag->max_tool_iterations;
  loop.cap_advice = context.gateway.is_bare() ? std::string("raise rag.max_tool_iterations")
                                              : "raise the cap with `weir gateway update " + context.gateway.name +
                                                    " --max-tool-iterations N`, or ask a narrower question";
  if (context.hooks && context.hooks->listens_to(kToolCalled))
    loop.before_tool = [hooks = context.hooks](const ToolCall& call, const CancelToken& cancel) {
      return run_tool_called_hooks(*hooks, call, cancel);
    };
  return loop;
}

// `routing`: the report's JSON (null for one upstream), built once for this
// and the request log.
json generation_context(const RequestContext& context, const json& usage_lines, json runned_functions,
                        json routing) {
  const auto& gateway = context.gateway;
  json generation = {
      {"gateway", gateway.is_bare() ? json(nullptr) : json{{"id", gateway.id}, {"name", gateway.name}}},
      {"generated_usage", usage_lines},
      {"runned_functions", std::move(runned_functions)},
      {"dropped_messages", context.dropped_messages}};
  const auto& retrieval = context.retrieval;
  if (!retrieval.strategy.empty()) {
    json report = {{"strategy", retrieval.strategy},
                   {"query", retrieval.query.empty() ? json(nullptr) : json(retrieval.query)},
                   {"documents", retrieval.documents}};
    if (!retrieval.rewrite_error.empty()) report["rewrite_error"] = retrieval.rewrite_error;
    generation["retrieval"] = std::move(report);
  }
  if (!routing.is_null()) generation["routing"] = std::move(routing);
  if (!context.guardrails->notes().empty()) generation["guardrails"] = context.guardrails->notes();
  if (!context.moderation.is_null()) generation["moderation"] = context.moderation;
  if (context.hooks && !context.hooks->notes().empty()) generation["hooks"] = context.hooks->notes();
  if (!context.cache.status.empty()) generation["cache"] = context.cache.to_json();
  return generation;
}

// The usage lines of the answer: one set per target that served a model call
// of it (a routed request may have several), and the router model's.
// `label` names the inference ("chat completion"; a refused structured attempt says so).
json answer_usage_lines(const RequestContext& context, const Usage& usage, int upstream_calls,
                        const std::string& label = "chat completion") {
  auto purpose = [&label](int calls) {
    return calls > 1 ? label + " (" + std::to_string(calls) + " model calls)" : label;
  };
  json lines = json::array();
  auto add = [&](const Usage& used, const std::string& provider, const std::string& model, const std::string& why) {
    for (auto& line : context.prices->usage_lines(used, provider, model, why)) lines.push_back(std::move(line));
  };
  if (!context.routing) {
    add(usage, context.provider.name, context.request.model, purpose(upstream_calls));
    return lines;
  }
  if (const auto& router = context.routing->router_usage)
    add(router->usage, router->provider, router->model, "routing complexity");
  for (const auto& served : context.routing->usage) add(served.usage, served.provider, served.model, purpose(served.calls));
  return lines;
}

// The request log row of a routed request names the target that served (or
// the gateway's first, when none did) and keeps every attempt. Returns the
// report's JSON for generation_context (null for one upstream).
json note_routing(const RequestContext& context, RequestRecord& record) {
  if (!context.routing) return nullptr;
  json routing = context.routing->to_json();
  record.routing = routing;
  if (!context.routing->served_provider.empty()) {
    record.provider = context.routing->served_provider;
    record.model = context.routing->served_model;
  }
  return routing;
}

// Every guardrail intervention, in the request log row beside the caller's
// metadata (never the matched text: notes hold counts and kinds).
void note_guardrails(const RequestContext& context, RequestRecord& record) {
  if (context.guardrails->notes().empty()) return;
  if (!record.metadata.is_object()) record.metadata = json::object();
  record.metadata["guardrails"] = context.guardrails->notes();
}

// Puts `value` under `name` in the row's metadata (an object from then on).
void note_metadata(RequestRecord& record, const char* name, json value) {
  if (!record.metadata.is_object()) record.metadata = json::object();
  record.metadata[name] = std::move(value);
}

void add_usage(Usage& total, const Usage& more) {
  total.prompt_tokens += more.prompt_tokens;
  total.completion_tokens += more.completion_tokens;
  total.cached_tokens += more.cached_tokens;
  total.cache_write_tokens += more.cache_write_tokens;
  total.reasoning_tokens += more.reasoning_tokens;
}

// What was asked and answered, unless the gateway keeps only metadata.
void note_conversation(const RequestContext& context, RequestRecord& record, const Completion& answer,
                       const json& functions) {
  if (context.provider.name.empty()) return;  // nothing resolved: nothing was asked of anyone
  auto keep = context.gateway.config.effective_value("log_messages");
  if (keep.is_boolean() && !keep.get<bool>()) return;
  record.conversation = conversation_for_log(context.input.messages, answer, functions, context.guardrails.get());
}

// Every hook call and its outcome, in the request log row's metadata.
void note_hooks(const RequestContext& context, RequestRecord& record) {
  if (context.hooks && !context.hooks->notes().empty()) note_metadata(record, "hooks", context.hooks->notes());
}

// The moderation scores and what they flagged.
void note_moderation(const RequestContext& context, RequestRecord& record) {
  if (!context.moderation.is_null()) note_metadata(record, "moderation", context.moderation);
}

// What a request cancelled mid-answer consumed: the upstream sends no usage
// then, so the prompt and the answer so far are estimated (as the limits
// stage estimates), and priced like any answer.
// `received`: the answer's text and reasoning as the upstream sent them, held
// back by filters or not (a structured answer shows nothing until it is
// whole, yet every token of it was generated and billed).
Usage estimated_usage(const RequestContext& context, const std::string& received) {
  Usage usage;
  usage.prompt_tokens = estimate_tokens(context.request.messages);
  usage.completion_tokens = estimate_tokens(json::array({json{{"role", "assistant"}, {"content", received}}}));
  return usage;
}

// The request log row says how the request met the cache, and what a hit saved.
void note_cache(const RequestContext& context, RequestRecord& record) {
  record.cache = context.cache.status;
  if (context.cache.hit) record.saved = context.cache.hit->cost;
}

}  // namespace

// A hit: the stored answer, replayed through the caller's callback as the
// upstream's deltas would have come (it passed the output filters when it was
// stored); nothing goes upstream and nothing is spent.
ChatResult Engine::replay(RequestContext& context, RequestRecord& record, const DeltaCallback& on_delta,
                          std::chrono::steady_clock::time_point start) {
  ChatResult result;
  const auto& entry = *context.cache.hit;
  if (context.input.on_prepared) context.input.on_prepared(context);
  bool first = true;
  result.completion = replay_cached_answer(entry, [&](const StreamDelta& delta) {
    if (first) {
      first = false;
      record.time_to_first_token_ms = milliseconds_since(start);
    }
    on_delta(delta);
  });
  if (result.completion.finish_reason.empty()) result.completion.finish_reason = "stop";
  if (auto structured = entry.answer.find("structured"); structured != entry.answer.end()) {
    result.structured = *structured;
    result.json_only = entry.answer.value("json_only", false);
  }
  result.response = completion_object(context.identity, result.completion,
                                      generation_context(context, json::array(), json::array(), nullptr));
  record.status = "ok";
  record.latency_ms = milliseconds_since(start);
  note_cache(context, record);
  // A hit skipped the guardrails stage: a gateway that masks its input would
  // have the caller's originals logged.
  if (!context.guards || !context.guards->masks_input())
    note_conversation(context, record, result.completion, json::array());
  if (auto problem = settle_request(context, database_, options_.clock, 0, 0, json::array()); !problem.empty())
    note_metadata(record, "limits_error", problem);
  result.response["generation_context"]["request_id"] = record.id;
  return result;
}

Engine::Engine(Database& database, Paths paths, EngineOptions options)
    : database_(database), paths_(std::move(paths)), options_(std::move(options)) {
  if (!options_.providers) options_.providers = make_provider;
  if (!options_.routing) options_.routing = RoutingState::process_wide();
}

Engine::~Engine() = default;

void Engine::record(RequestRecord row, const Error* failure) {
  if (options_.metrics) options_.metrics->observe(row, failure);
  if (options_.log_writer)
    options_.log_writer->submit(std::move(row));
  else
    RequestLog(database_).record(row);
}

void Engine::flush_request_log() {
  if (options_.log_writer) options_.log_writer->flush();
}

Searcher& Engine::searcher() {
  if (options_.shared_searcher) return *options_.shared_searcher;
  if (!searcher_) searcher_ = std::make_unique<Searcher>(database_, paths_.indexes);
  return *searcher_;
}

StageServices Engine::services() {
  return StageServices{database_, paths_, options_.providers, [this]() -> Searcher& { return searcher(); },
                       options_.routing, options_.resolved_targets, options_.clock};
}

RequestContext Engine::prepare(const ChatInput& input) {
  RequestContext context;
  context.input = input;
  auto stage_services = services();
  prepare_request(context, stage_services);
  return context;
}

json Engine::describe(const ChatInput& input) {
  auto context = prepare(input);
  return context.adapter->describe_request(context.request);
}

ChatResult Engine::run(ChatInput input, const DeltaCallback& on_delta, const CancelToken& cancel) {
  auto start = Clock::now();
  ChatResult result;
  RequestRecord record;
  record.id = new_uuid_v7();  // the answer names it; the row is moved to the log
  record.front_door = input.front_door;
  record.metadata = input.metadata;
  record.gateway_name = input.target;

  RequestContext context;
  context.input = std::move(input);
  context.request_id = record.id;
  context.cancel = &cancel;
  // What the caller sees is the fold of what the last filter let through.
  Completion shown;
  std::string received;  // every text and reasoning delta that reached the filters, shown or not
  ToolLoopResult loop;   // the model calls' outcome (partial when they failed)
  bool sent = false;     // the upstream call has begun
  Usage refused_usage;   // of structured attempts whose answer was refused
  // A request that fails is logged and settled (its counters, its lease)
  // whatever it threw, then the exception goes on to the front door.
  auto log_failure = [&](const std::string& status, const std::string& message, const Error* failure) {
    note_routing(context, record);
    note_guardrails(context, record);
    note_hooks(context, record);
    note_moderation(context, record);
    // Refused structured attempts (context.usage_lines) and routed attempts
    // that consumed tokens before failing are charged.
    Usage consumed = refused_usage;
    if (context.routing && !context.routing->usage.empty()) {
      for (const auto& served : context.routing->usage) add_usage(consumed, served.usage);
      for (auto& line : answer_usage_lines(context, Usage{}, 0)) context.usage_lines.push_back(std::move(line));
    }
    record.prompt_tokens = consumed.prompt_tokens;
    record.completion_tokens = consumed.completion_tokens;
    record.cached_tokens = consumed.cached_tokens;
    if (!context.usage_lines.empty()) {
      record.usage_lines = context.usage_lines;
      record.cost = total_amount(record.usage_lines);
    }
    record.status = status;
    // A request cancelled after it was sent consumed tokens the upstream
    // will bill: they are counted, estimated (budgets include them).
    if (status == "cancelled" && sent && record.usage_lines.empty() && context.prices) {
      // A structured answer is held whole before the filters see it.
      std::string generated = received;
      if (context.structured && received.find(loop.completion.content) == std::string::npos)
        generated += loop.completion.content;
      auto usage = estimated_usage(context, generated);
      record.prompt_tokens = usage.prompt_tokens;
      record.completion_tokens = usage.completion_tokens;
      record.usage_lines = context.prices->usage_lines(usage, context.provider.name, context.request.model,
                                                       "cancelled chat completion (estimated)");
      record.cost = total_amount(record.usage_lines);
    }
    record.error = message;
    record.latency_ms = milliseconds_since(start);
    // What a guardrail refused to send anywhere is not kept either.
    if (!failure || failure->code() != kGuardrailViolation) note_conversation(context, record, shown, json::array());
    if (auto problem = settle_request(context, database_, options_.clock,
                                      record.prompt_tokens + record.completion_tokens, record.cost,
                                      record.usage_lines);
        !problem.empty())
      note_metadata(record, "limits_error", problem);
    try {
      this->record(std::move(record), failure);
    } catch (const Error&) {
      // The original error matters more than a log row we could not write.
    }
  };
  try {
    auto stage_services = services();
    prepare_request(context, stage_services);
    for (const auto& make_filter : options_.filters)
      if (auto filter = make_filter(context)) context.filters.push_back(std::move(filter));
    record.gateway_id = context.gateway.id;
    record.gateway_name = context.gateway.name;
    record.provider = context.provider.name;
    record.model = context.request.model;
    if (!context.retrieval.rewrite_error.empty()) {
      // The request log keeps why the rewrite was skipped, next to the caller's metadata.
      if (!record.metadata.is_object()) record.metadata = json::object();
      record.metadata["rewrite_error"] = context.retrieval.rewrite_error;
    }
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    if (!context.admission.budget_warnings.empty())
      note_metadata(record, "budget_warning", context.admission.budget_warnings);
    if (context.cache.hit) {
      result = replay(context, record, on_delta, start);
    } else {
      note_cache(context, record);
      if (context.input.on_prepared) context.input.on_prepared(context);

      // A miss keeps the pieces the caller got, for a replay to stream alike.
      const bool storing = context.cache.status == "miss";
      std::vector<std::string> pieces;
      FilterChain filters(context.filters, [&](const StreamDelta& delta) {
        if (!delta.server_tool) {
          shown.apply(delta);
          if (storing && !delta.content.empty()) pieces.push_back(delta.content);
        }
        on_delta(delta);
      });
      bool first = true;
      auto upstream_cancel = cancel.linked();
      auto from_upstream = [&](const StreamDelta& delta) {
        if (first && !delta.server_tool) {  // tool activity is not the answer's first token
          first = false;
          record.time_to_first_token_ms = milliseconds_since(start);
        }
        if (!delta.server_tool) {
          received += delta.content;
          received += delta.reasoning;
        }
        filters.push(delta);
        if (filters.ended()) upstream_cancel.cancel();
      };
      auto bill_refused_attempt = [&](int attempt, const ToolLoopResult& refused, const std::string&) {
        Usage used = refused.completion.usage.value_or(Usage{});
        std::string label = "structured output attempt " + std::to_string(attempt) + " (refused)";
        for (auto& line : answer_usage_lines(context, used, refused.upstream_calls, label))
          context.usage_lines.push_back(std::move(line));
        // A routed attempt's usage is in its lines now (the router model's, once,
        // with the first): the next attempt starts afresh.
        if (context.routing) {
          context.routing->usage.clear();
          context.routing->router_usage.reset();
        }
        add_usage(refused_usage, used);
      };
      std::optional<StructuredCheck> structured;
      sent = true;
      try {
        if (context.structured)
          structured = run_structured_attempts(*context.adapter, context.request, *context.structured, context.prefill,
                                               tool_loop_options(context), from_upstream, upstream_cancel, loop,
                                               bill_refused_attempt);
        else
          run_tool_loop(*context.adapter, context.request, tool_loop_options(context), from_upstream, upstream_cancel,
                        loop);
      } catch (const Error& error) {
        // A filter that ended the stream stopped the call; the answer is what
        // passed, and the loop's functions and usage so far are kept.
        if (!(error.kind() == ErrorKind::interrupted && filters.ended() && !cancel.cancelled())) throw;
        loop.completion.finish_reason = filters.end_reason();
      }
      filters.finish();

      auto& completion = result.completion;
      completion = std::move(loop.completion);
      completion.content = shown.content;
      completion.reasoning = shown.reasoning;
      // The client's tool calls as the filters left their arguments (unmasked).
      for (auto& call : completion.tool_calls)
        for (const auto& seen : shown.tool_calls)
          if (!call.id.empty() && seen.id == call.id) call.arguments = seen.arguments;
      if (filters.ended()) completion.finish_reason = filters.end_reason();
      if (completion.finish_reason.empty()) completion.finish_reason = "stop";

      Usage usage = completion.usage.value_or(Usage{});
      json usage_lines = context.usage_lines;
      for (auto& line : answer_usage_lines(context, usage, loop.upstream_calls)) usage_lines.push_back(std::move(line));
      // The answer's usage is everything its attempts consumed.
      add_usage(usage, refused_usage);
      completion.usage = usage;
      if (structured) {
        // The caller gets the JSON as the stream filters left it: output
        // guards may have masked in it, and masked input comes back unmasked.
        // That text is checked again, so what is returned as JSON still is.
        result.structured = structured->value;
        if (shown.content != structured->text) {
          auto filtered = context.structured->check(shown.content);
          if (!filtered.valid)
            throw Error(ErrorKind::upstream,
                        "the answer matched its schema, but not after the gateway's guardrails changed it: " +
                            filtered.problems + "; mask fewer kinds in the answer or loosen the schema",
                        "json_validation_failed");
          result.structured = std::move(filtered.value);
        }
        result.json_only = context.structured->json_only;
      }
      json runned_functions = json::array();
      for (const auto& function : loop.functions) runned_functions.push_back(function.to_json());
      json routing = note_routing(context, record);
      result.response = completion_object(context.identity, completion,
                                          generation_context(context, usage_lines, runned_functions, std::move(routing)));

      record.status = "ok";
      record.prompt_tokens = usage.prompt_tokens;
      record.completion_tokens = usage.completion_tokens;
      record.cached_tokens = usage.cached_tokens;
      record.cost = total_amount(usage_lines);
      record.usage_lines = std::move(usage_lines);
      record.latency_ms = milliseconds_since(start);
      note_conversation(context, record, completion, runned_functions);
      note_guardrails(context, record);
      note_hooks(context, record);
      note_moderation(context, record);
      if (auto problem = settle_request(context, database_, options_.clock,
                                        usage.prompt_tokens + usage.completion_tokens, record.cost,
                                        record.usage_lines);
          !problem.empty())
        note_metadata(record, "limits_error", problem);
      result.response["generation_context"]["request_id"] = record.id;
      // Only a complete answer the caller did not cancel is stored; a store
      // that cannot take it costs the next request a miss, not this answer.
      if (storing && !cancel.cancelled() && !filters.ended()) {
        try {
          store_cached_answer(context, database_, options_.clock ? options_.clock() : now_milliseconds(), completion,
                              pieces, record.cost, result.structured, result.json_only);
        } catch (const Error& error) {
          note_metadata(record, "cache_error", error.what());
        }
      }
    }
  } catch (const Error& error) {
    log_failure(error.kind() == ErrorKind::interrupted ? "cancelled" : "error", error.what(), &error);
    throw;
  } catch (const std::exception& unexpected) {
    log_failure("error", unexpected.what(), nullptr);
    throw;
  }
  // Outside the try: the answer is complete and settled; a row the log cannot
  // take is the log's own error, not a failed request to settle again.
  this->record(std::move(record));
  return result;
}

}  // namespace weir
