#include "core/engine/pipeline.hpp"

#include <algorithm>
#include <optional>

#include "core/engine/content_parts.hpp"
#include "core/engine/context_budget.hpp"
#include "core/engine/document_injection.hpp"
#include "core/engine/hook_actions.hpp"
#include "core/engine/instructions.hpp"
#include "core/engine/moderation_check.hpp"
#include "core/engine/output_guard_filter.hpp"
#include "core/engine/prefill_filter.hpp"
#include "core/engine/request_limits.hpp"
#include "core/engine/resolved_targets.hpp"
#include "core/engine/response_cache.hpp"
#include "core/engine/retrieval.hpp"
#include "core/engine/tool_result_window.hpp"
#include "core/engine/tool_arguments_unmask_filter.hpp"
#include "core/engine/unmask_filter.hpp"
#include "core/error.hpp"
#include "core/gateway/identifiers.hpp"
#include "core/rag/search.hpp"
#include "core/routing/routed_provider.hpp"
#include "core/store/conversation_skills.hpp"
#include "core/tools/collection_search_source.hpp"
#include "core/tools/gateway_tools.hpp"
#include "core/tools/mcp_server_pool.hpp"
#include "core/tools/mcp_server_settings.hpp"
#include "core/tools/mcp_server_source.hpp"
#include "core/tools/memory_source.hpp"
#include "core/tools/toolset_source.hpp"
#include "core/tools/skill_source.hpp"

namespace weir {

namespace {

constexpr const char* kDocumentsPreamble =
    "Documents retrieved from the knowledge collections for the message below. Use those that are relevant, "
    "cite them by collection and docid, and say so when none of them answers it.";

// ----- caller_policy -----

void caller_policy_stage(RequestContext& context, StageServices&) {
  require_target_allowed(context.input.caller, context.input.target, "the target");
  drop_forbidden_fields(context.input.caller, context.input.overrides);
}

// ----- resolve -----

void resolve_stage(RequestContext& context, StageServices& services) {
  auto resolved = services.resolved_targets ? services.resolved_targets->resolve(services.database, context.input.target)
                                            : read_resolved_target(services.database, context.input.target);
  context.gateway = resolved->gateway;
  context.provider = resolved->provider;
  context.gateway_response_schema = resolved->response_schema;
  if (resolved->route) {
    context.routing = std::make_shared<RoutingReport>();
    context.routing->on_attempt = context.input.on_route_attempt;
    auto routed = std::make_unique<RoutedProvider>(resolved->route, services.providers, services.routing,
                                                   context.routing, &context.input.messages);
    for (const auto& provider : resolved->route->providers)
      if (provider_budget_scope(provider) &&
          std::none_of(context.budgeted_providers.begin(), context.budgeted_providers.end(),
                       [&](const ProviderConfig& seen) { return seen.name == provider.name; }))
        context.budgeted_providers.push_back(provider);
    if (!context.budgeted_providers.empty())
      routed->set_gate(provider_budget_gate(services.database, services.clock));
    context.adapter = std::move(routed);
  } else {
    context.adapter = services.providers(context.provider);
    if (provider_budget_scope(context.provider)) context.budgeted_providers.push_back(context.provider);
  }
  context.capabilities = context.adapter->capabilities();
  context.guards = resolved->guards ? resolved->guards : GuardSet::compile(nullptr);
  context.moderation_settings = resolved->moderation;
  context.moderation_provider = resolved->moderation_provider;
  context.hook_set = resolved->hooks ? resolved->hooks : HookSet::from_config(nullptr);
  context.prices = PriceTable::shared(services.paths.prices);
}

// ----- overrides -----

// Request fields that are not gateway configuration but go upstream as given.
bool is_request_only_field(const std::string& key) {
  return key == "tools" || key == "tool_choice" || key == "response_format";
}

void check_request_only_field(const std::string& key, const json& value) {
  if (key == "tools" && !value.is_array())
    throw Error(ErrorKind::usage, "'tools' must be an array of tool definitions");
  if (key == "tool_choice" && !value.is_string() && !value.is_object())
    throw Error(ErrorKind::usage, "'tool_choice' must be a string or an object");
  if (key == "response_format" && (!value.is_object() || !value.contains("type")))
    throw Error(ErrorKind::usage, "'response_format' must be an object with a \"type\"");
}

void overrides_stage(RequestContext& context, StageServices&) {
  auto& gateway = context.gateway;
  const auto& overrides = context.input.overrides;
  json request_only = json::object();
  if (!overrides.is_null() && !overrides.empty()) {
    if (!overrides.is_object()) throw Error(ErrorKind::usage, "request overrides must be a JSON object");
    auto allowed = gateway.config.overridable();
    json config_changes = json::object();
    for (const auto& [key, value] : overrides.items()) {
      // Any request may turn the cache off for itself (it only costs it).
      if (key == "cache") {
        if (!value.is_boolean()) throw Error(ErrorKind::usage, "'cache' must be true or false");
        context.cache.refused_by_request = !value.get<bool>();
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
        throw Error(ErrorKind::usage, "gateway '" + gateway.name + "' does not let a request set '" + key +
                                          "'; it allows: " + (list.empty() ? "nothing" : list) +
                                          " (change with `weir gateway update " + gateway.name +
                                          " --overridable ...`)");
      }
      if (is_request_only_field(key)) {
        check_request_only_field(key, value);
        request_only[key] = value;
      } else {
        config_changes[key] = value;
      }
    }
    if (!config_changes.empty()) gateway.config = gateway.config.merged(config_changes);
  }

  const auto& config = gateway.config;
  auto& request = context.request;
  request.model = config.model();
  request.stream = context.input.stream;
  json sampling = config.sampling();
  auto stop = config.stop();
  if (!stop.empty()) sampling["stop"] = stop;
  request.sampling = SamplingParameters::from_json(sampling);
  if (request_only.contains("tools")) context.client_tools = request_only["tools"];
  if (request_only.contains("tool_choice")) request.tool_choice = request_only["tool_choice"];
  if (request_only.contains("response_format")) request.response_format = request_only["response_format"];
}

// ----- instructions -----

void check_messages(const json& messages) {
  if (!messages.is_array() || messages.empty()) throw Error(ErrorKind::usage, "a chat needs at least one message");
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

void apply_prompt_template(json& messages, const std::string& prompt_template) {
  if (prompt_template.empty()) return;
  for (size_t index = messages.size(); index-- > 0;) {
    auto& message = messages[index];
    if (message.value("role", "") != "user") continue;
    if (!message["content"].is_string()) return;  // content parts: leave as the client sent them
    std::string text = prompt_template;
    const std::string placeholder = "{prompt}";
    const std::string prompt = message["content"].get<std::string>();
    for (size_t at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + prompt.size()))
      text.replace(at, placeholder.size(), prompt);
    message["content"] = text;
    return;
  }
}

void instructions_stage(RequestContext& context, StageServices& services) {
  const auto& config = context.gateway.config;
  check_messages(context.input.messages);
  json messages = json::array();
  auto system_text = assemble_system_text(config, services.database);
  if (!system_text.empty()) messages.push_back({{"role", "system"}, {"content", system_text}});
  for (const auto& message : context.input.messages) messages.push_back(message);
  apply_prompt_template(messages, config.prompt_template());
  context.prefill = config.prefill();
  if (!context.prefill.empty()) messages.push_back({{"role", "assistant"}, {"content", context.prefill}});
  context.request.messages = std::move(messages);
}

// ----- content_parts -----

// Before retrieval, whose query rewrite is the first thing that may reach an
// upstream: a part the adapter's service cannot take costs nothing.
void content_parts_stage(RequestContext& context, StageServices&) {
  check_content_parts(context.input.messages, context.capabilities, context.provider);
}

// ----- guardrails -----

// After the conversation is assembled and before anything of it can reach an
// upstream (retrieval's query rewrite and complexity routing read the
// caller's messages too, so those are masked the same way). Only the caller's
// messages are checked, not the gateway's own system text or prefill.
void guardrails_stage(RequestContext& context, StageServices&) {
  if (!context.guards || !context.guards->has_input()) return;
  auto& messages = context.request.messages;
  const size_t caller = context.input.messages.size();
  const size_t trailing = context.prefill.empty() ? 0 : 1;
  const size_t first = messages.size() - caller - trailing;
  apply_input_guards(*context.guards, messages, first, caller, *context.guardrails, &context.input.messages);
}

// ----- moderation -----

// After the input guards (what they masked is what the judge reads) and
// before retrieval, the first stage that may send the conversation anywhere.
void moderation_stage(RequestContext& context, StageServices& services) {
  if (!context.moderation_settings || !context.cancel) return;  // a dry run sends nothing
  moderate_conversation(context, *context.moderation_settings, context.moderation_provider, services.providers);
}

// ----- retrieval -----

// The retrieved documents for an adapter that answers from them, and as the
// report's list.
void record_hits(const RetrievalResult& retrieval, RequestContext& context) {
  Grounding grounding;
  for (const auto& collection : retrieval.collections) grounding.collections.push_back(collection.name);
  grounding.query = retrieval.query;
  for (const auto& hit : retrieval.hits) {
    grounding.documents.push_back(
        {hit.collection, hit.document.docid, hit.document.ref.value_or(""), hit.document.text, hit.score});
    json entry = {{"collection", hit.collection},
                  {"docid", hit.document.docid},
                  {"ref", hit.document.ref ? json(*hit.document.ref) : json(nullptr)},
                  {"score", hit.score}};
    if (!hit.reference_of.empty()) entry["reference_of"] = hit.reference_of;
    context.retrieval.documents.push_back(std::move(entry));
  }
  if (context.capabilities.answers_from_documents) context.adapter->ground(std::move(grounding));
}

void retrieval_stage(RequestContext& context, StageServices& services) {
  auto rag = context.gateway.config.rag();
  if (!rag) return;
  RetrievalInput input;
  input.settings = *rag;
  input.conversation = context.input.messages;
  input.main_provider = context.provider;
  input.main_model = context.gateway.config.model();
  input.main_capabilities = context.capabilities;
  input.tools_allowed = may_use_tools(context.input.caller);
  input.providers = &services.providers;
  input.rewrite_cancel = context.cancel;
  input.prices = context.prices.get();
  CancelToken no_cancel;
  auto retrieval = retrieve(input, services.database, services.searcher(), context.cancel ? *context.cancel : no_cancel);

  auto& messages = context.request.messages;
  for (const auto& collection : retrieval.collections) append_to_system(messages, collection.context);
  inject_documents(messages, format_documents(retrieval.hits, kDocumentsPreamble));
  if (retrieval.offer_search_tools)
    context.tools.add(std::make_shared<CollectionSearchSource>(*rag, retrieval.collections, services.searcher()));
  record_hits(retrieval, context);
  context.retrieval.strategy = retrieval.strategy;
  context.retrieval.query = retrieval.query;
  context.retrieval.rewrite_error = retrieval.rewrite_error;
  for (const auto& line : retrieval.rewrite_usage_lines) context.usage_lines.push_back(line);
}

// ----- skills -----

// The gateway's skills: listed in its instructions and offered by read_skill
// (core/tools/skill_source.hpp). Public callers get no server-side tools.
void skills_stage(RequestContext& context, StageServices& services) {
  if (context.gateway.is_bare() || !may_use_tools(context.input.caller)) return;
  auto settings = SkillSettings::from_config(context.gateway.config);
  if (settings.skills.empty()) return;
  auto skills = load_gateway_skills(services.database, settings, context.gateway.name);
  // In a conversation, what its model read on earlier requests stays read.
  std::vector<std::string> already_read;
  SkillSource::ReadCallback remember;
  const auto& conversation = context.input.conversation;
  if (!conversation.empty()) {
    already_read = conversation_skills(services.database, context.gateway.id, conversation, now_milliseconds());
    if (context.cancel)  // a dry run reads, never writes
      remember = [&database = services.database, gateway = context.gateway.id, conversation](const auto& slugs) {
        remember_conversation_skills(database, gateway, conversation, slugs, now_milliseconds());
      };
  }
  auto source = std::make_shared<SkillSource>(std::move(settings), std::move(skills), already_read, std::move(remember));
  append_to_system(context.request.messages, source->listing());
  source->prepare_turn(context.request.messages);
  context.tools.add(std::move(source));
}

// ----- builtin_tools -----

void builtin_tools_stage(RequestContext& context, StageServices& services) {
  if (context.gateway.is_bare() || !may_use_tools(context.input.caller)) return;
  auto builtins = context.gateway.config.effective_value("builtin_tools");
  if (!builtins.is_array()) return;
  for (const auto& name : builtins) {
    if (name == "memory")
      context.tools.add(std::make_shared<MemorySource>(services.database, context.input.user, context.gateway.id));
  }
}

// ----- tools -----

// The gateway's MCP servers, for callers that may use tools; a dry run
// (no cancel token) starts no server.
void add_mcp_server_sources(RequestContext& context, StageServices& services) {
  if (!context.cancel || !may_use_tools(context.input.caller) || !context.capabilities.tools) return;
  for (const auto& settings : mcp_server_settings(context.gateway.config.fields())) {
    auto connection = McpServerPool::shared().connection(settings, services.paths.home + "/logs");
    context.tools.add(std::make_shared<McpServerSource>(std::move(connection), context.input.user,
                                                        context.input.conversation, *context.cancel));
  }
}

// The gateway's tool sets (core/tools/toolset_source.hpp), on the same terms
// as its MCP servers.
void add_toolset_sources(RequestContext& context, StageServices& services) {
  if (!context.cancel || !may_use_tools(context.input.caller) || !context.capabilities.tools) return;
  auto names = context.gateway.config.effective_value("toolsets");
  if (!names.is_array() || names.empty()) return;
  // One source for all of them: sets sharing a server offer its tools once.
  context.tools.add(std::make_shared<ToolsetSource>(
      services.database,
      ToolsetSourceInput{names.get<std::vector<std::string>>(), services.paths.home + "/logs", context.input.user,
                         context.input.conversation},
      *context.cancel));
}

void tools_stage(RequestContext& context, StageServices& services) {
  add_mcp_server_sources(context, services);
  add_toolset_sources(context, services);
  add_gateway_tools(context.tools, context.gateway.config,
                    {.home = services.paths.home,
                     .caller = {context.input.user, context.input.conversation, context.input.metadata},
                     .cancel = context.cancel,
                     .tools_allowed = may_use_tools(context.input.caller)});
  context.tools.check_client_tools(context.client_tools);
  json offered = context.client_tools;
  for (const auto& tool : context.tools.offered_definitions()) offered.push_back(tool);
  context.request.tools = std::move(offered);
}

// ----- tool_window -----

void tool_window_stage(RequestContext& context, StageServices&) {
  if (auto window = context.gateway.config.tool_result_window())
    apply_tool_result_window(context.request.messages, *window);
}

// ----- structured_output -----

// The shape the answer must have: the model is told it in the system text,
// and its service gets it natively (the adapters render response_format).
void structured_output_stage(RequestContext& context, StageServices&) {
  context.structured = StructuredOutput::resolve(context.gateway.config, context.request.response_format,
                                                 context.gateway_response_schema);
  if (!context.structured) return;
  append_to_system(context.request.messages, context.structured->instructions());
  context.request.response_format = context.structured->native_response_format();
}

// ----- context_budget -----

void context_budget_stage(RequestContext& context, StageServices&) {
  auto limit = context.gateway.config.max_context_tokens();
  if (!limit) return;
  long long max_tokens = context.request.sampling.max_tokens.value_or(0);
  long long budget = *limit - max_tokens;
  if (budget < 1)
    throw Error(ErrorKind::usage, "gateway '" + context.gateway.name + "': max_tokens (" + std::to_string(max_tokens) +
                                      ") leaves no room for the prompt within max_context_tokens (" +
                                      std::to_string(*limit) + ")");
  context.dropped_messages = fit_context(context.request.messages, budget, context.gateway.config.on_overflow());
}

// ----- hooks -----

// Last of the stages that shape the request: a message.received hook sees
// exactly what would go upstream (after the context budget; what it adds is
// not truncated again) and may rewrite it. The dispatcher stays for the tool
// loop's tool.called hooks. A dry run calls no hook.
void hooks_stage(RequestContext& context, StageServices& services) {
  const auto& gateway = context.gateway;
  HookRequestInfo info{
      .gateway = gateway.is_bare() ? json(nullptr) : json{{"id", gateway.id}, {"name", gateway.name}},
      .request_id = context.request_id,
      .user = context.input.user,
      .conversation = context.input.conversation,
      .metadata = context.input.metadata};
  context.hooks = std::make_shared<HookDispatcher>(context.hook_set, std::move(info), services.paths.home);
  if (!context.cancel) return;
  run_message_received_hooks(*context.hooks, context.request, *context.cancel);
}

// ----- limits -----

void limits_stage(RequestContext& context, StageServices& services) {
  if (!context.cancel) return;  // a dry run counts nothing
  admit_request(context, services.database, services.clock);
}

// ----- cache -----

void cache_stage(RequestContext& context, StageServices& services) {
  look_up_response_cache(context, services.database, services.clock ? services.clock() : now_milliseconds());
  // A hit's answer has its identity now: no later stage runs for it.
  if (context.cache.hit) context.identity = AnswerIdentity::make(context.request.model);
}

// ----- output -----

void output_stage(RequestContext& context, StageServices&) {
  context.identity = AnswerIdentity::make(context.request.model);
  // A structured answer is checked with its prefill and emitted whole.
  if (!context.prefill.empty() && !context.structured)
    context.filters.push_back(std::make_unique<PrefillFilter>(context.prefill));
  if (context.guards && context.guards->has_output())
    context.filters.push_back(std::make_unique<OutputGuardFilter>(context.guards, context.guardrails));
  if (!context.guardrails->originals().empty()) {
    context.filters.push_back(std::make_unique<UnmaskFilter>(context.guardrails));
    context.filters.push_back(std::make_unique<ToolArgumentsUnmaskFilter>(context.guardrails));
  }
}

}  // namespace

const std::vector<Stage>& preparation_stages() {
  static const std::vector<Stage> stages = {
      {"caller_policy", caller_policy_stage}, {"resolve", resolve_stage},
      {"overrides", overrides_stage},         {"limits", limits_stage},
      {"cache", cache_stage},
      {"instructions", instructions_stage},   {"content_parts", content_parts_stage},
      {"guardrails", guardrails_stage},       {"moderation", moderation_stage},
      {"retrieval", retrieval_stage},
      {"skills", skills_stage},               {"builtin_tools", builtin_tools_stage},
      {"tools", tools_stage},
      {"tool_window", tool_window_stage},     {"structured_output", structured_output_stage},
      {"context_budget", context_budget_stage},
      {"hooks", hooks_stage},
      {"output", output_stage},
  };
  return stages;
}

void prepare_request(RequestContext& context, StageServices& services) {
  for (const auto& stage : preparation_stages()) {
    stage.run(context, services);
    if (context.cache.hit) return;  // the engine replays the stored answer
  }
}

}  // namespace weir
