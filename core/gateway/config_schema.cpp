#include "core/gateway/config_schema.hpp"

#include <algorithm>
#include <set>
#include <cmath>

#include "core/edit_distance.hpp"
#include "core/error.hpp"
#include "core/gateway/function_fields.hpp"
#include "core/json_schema.hpp"
#include "core/gateway/guardrail_fields.hpp"
#include "core/gateway/hook_fields.hpp"
#include "core/gateway/moderation_fields.hpp"

namespace weir {

template <>
const std::vector<std::string_view>& enum_names<RagStrategy>() {
  static const std::vector<std::string_view> names = {"plain", "concatenate", "user_rewrite", "full_rewrite",
                                                      "query_function"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<RagReranker>() {
  static const std::vector<std::string_view> names = {"none", "rrf", "lexical"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<OverflowPolicy>() {
  static const std::vector<std::string_view> names = {"error", "truncate"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<ReasoningEffort>() {
  static const std::vector<std::string_view> names = {"none", "minimal", "low", "medium", "high"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<Verbosity>() {
  static const std::vector<std::string_view> names = {"low", "medium", "high"};
  return names;
}

template <>
const std::vector<std::string_view>& enum_names<RoutingMode>() {
  static const std::vector<std::string_view> names = {"fallback", "loadbalance", "complexity"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<ComplexityTier>() {
  static const std::vector<std::string_view> names = {"low", "medium", "high"};
  return names;
}
template <>
const std::vector<std::string_view>& enum_names<FailureClass>() {
  static const std::vector<std::string_view> names = {"connection",   "timeout",        "rate_limit",
                                                      "server_error", "authentication", "client_error",
                                                      "context_length", "content_filter"};
  return names;
}

template <>
const std::vector<std::string_view>& enum_names<BuiltinTool>() {
  static const std::vector<std::string_view> names = {"open_url", "current_time", "memory"};
  return names;
}

template <>
const std::vector<std::string_view>& enum_names<BudgetAction>() {
  static const std::vector<std::string_view> names = {"block", "warn"};
  return names;
}

template <>
const std::vector<std::string_view>& enum_names<CacheMode>() {
  static const std::vector<std::string_view> names = {"exact", "semantic"};
  return names;
}

namespace {

std::string join(const std::vector<std::string_view>& items, std::string_view separator = ", ") {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(static_cast<long long>(value));
  auto text = std::to_string(value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text;
}

[[noreturn]] void invalid(const std::string& path, const std::string& why) {
  throw Error(ErrorKind::usage, "gateway field '" + path + "' " + why);
}

// --- the extra rules some rows name ---------------------------------------

void check_prompt_template(const std::string& path, const json& value) {
  if (value.get<std::string>().find("{prompt}") == std::string::npos)
    invalid(path, "must contain {prompt}, where the user's message goes");
}

void check_urls(const std::string& path, const json& value) {
  for (const auto& url : value) {
    auto text = url.get<std::string>();
    if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
      invalid(path, "entries must be http:// or https:// URLs, got '" + text + "'");
  }
}

const std::vector<std::string_view>& overridable_names();

void check_overridable(const std::string& path, const json& value) {
  const auto& candidates = overridable_names();
  for (const auto& name : value)
    if (std::find(candidates.begin(), candidates.end(), name.get<std::string>()) == candidates.end())
      invalid(path, "names '" + name.get<std::string>() + "', which a request cannot override; allowed: " +
                        join(candidates));
}

void check_collection_names(const std::string& path, const json& value) {
  for (size_t index = 0; index < value.size(); ++index) {
    if (value[index].get<std::string>().empty()) invalid(path, "has an empty collection name");
    for (size_t earlier = 0; earlier < index; ++earlier)
      if (value[earlier] == value[index]) invalid(path, "lists '" + value[index].get<std::string>() + "' twice");
  }
}

void check_model_reference(const std::string& path, const json& value) {
  auto text = value.get<std::string>();
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
    invalid(path, "must be PROVIDER/MODEL (e.g. openai/gpt-4o-mini), got '" + text + "'");
}

void check_no_repeats(const std::string& path, const json& value) {
  for (size_t index = 0; index < value.size(); ++index) {
    if (value[index].get<std::string>().empty()) invalid(path, "has an empty entry");
    for (size_t earlier = 0; earlier < index; ++earlier)
      if (value[earlier] == value[index]) invalid(path, "lists '" + value[index].get<std::string>() + "' twice");
  }
}

// Skill slugs: 1-64 of [A-Za-z0-9_.-] (the skills table's rule); whether each
// exists is checked on save (gateway_references.cpp) and at request time.
void check_skill_slugs(const std::string& path, const json& value) {
  check_no_repeats(path, value);
  for (const auto& item : value) {
    auto slug = item.get<std::string>();
    bool valid = !slug.empty() && slug.size() <= 64 &&
                 std::all_of(slug.begin(), slug.end(), [](char character) {
                   return (character >= 'A' && character <= 'Z') || (character >= 'a' && character <= 'z') ||
                          (character >= '0' && character <= '9') || character == '_' || character == '.' ||
                          character == '-';
                 });
    if (!valid) invalid(path, "names '" + slug + "', which is not a skill slug (1 to 64 letters, digits, '_', '.', '-')");
  }
}

void check_builtin_tools(const std::string& path, const json& value) {
  check_no_repeats(path, value);
  const auto& names = enum_names<BuiltinTool>();
  for (const auto& item : value)
    if (std::find(names.begin(), names.end(), item.get<std::string>()) == names.end())
      invalid(path, "names '" + item.get<std::string>() + "', which is not a built-in tool; the built-in tools: " +
                        join(names));
}

// A response schema valijson cannot read is refused when the gateway is
// saved, not on its first request.
void check_response_schema(const std::string& path, const json& value) {
  try {
    (void)JsonSchema::compile(value, "the schema");
  } catch (const Error& error) {
    invalid(path, std::string("is not usable: ") + error.what());
  }
}

void check_rag_block(const std::string& path, const json& value) {
  auto collections = value.find("collections");
  if (collections == value.end() || !collections->is_array() || collections->empty())
    invalid(path, "needs at least one collection (--collection C); to detach every collection, "
                  "remove the block with `--unset " + path + "`");
}

void check_failure_classes(const std::string& path, const json& value) {
  const auto& names = enum_names<FailureClass>();
  for (const auto& item : value)
    if (std::find(names.begin(), names.end(), item.get<std::string>()) == names.end())
      invalid(path, "names '" + item.get<std::string>() + "', which is not a failure class; the classes: " +
                        join(names));
}

void check_routing_block(const std::string& path, const json& value) {
  auto targets = value.find("targets");
  if (targets == value.end() || !targets->is_array() || targets->empty())
    invalid(path, "needs at least one target (--target PROVIDER/MODEL); to route to one model again, remove "
                  "the block with `--unset " + path + "` and set --provider and --model");
  if (targets->size() > 32) invalid(path + ".targets", "has more than 32 targets");
  std::string mode = value.value("mode", std::string("fallback"));
  double total_weight = 0;
  for (size_t index = 0; index < targets->size(); ++index) {
    const json& target = (*targets)[index];
    const std::string target_path = path + ".targets[" + std::to_string(index) + "]";
    if (target.value("provider", "").empty()) invalid(target_path, "has an empty provider name");
    if (target.value("model", "").empty()) invalid(target_path, "has an empty model id");
    std::string name = target.value("provider", "") + "/" + target.value("model", "");
    for (size_t earlier = 0; earlier < index; ++earlier)
      if ((*targets)[earlier].value("provider", "") + "/" + (*targets)[earlier].value("model", "") == name)
        invalid(path + ".targets", "lists " + name + " twice");
    total_weight += target.value("weight", 1.0);
    if (mode == "complexity" && !target.contains("tier"))
      invalid(target_path, "needs a tier (low, medium or high) in complexity mode, e.g. --target " + name + ",tier=low");
  }
  if (mode == "loadbalance" && total_weight <= 0)
    invalid(path + ".targets", "have no weight above 0; loadbalance picks targets in proportion to their weights");
}

// --target PROVIDER/MODEL[,weight=W][,tier=T][,FIELD=VALUE...]: the record it
// stands for. Values that read as JSON numbers become numbers; the row checks
// the rest.
json route_target_from_flag(const std::string& text) {
  auto usage = [&](const std::string& why) -> Error {
    return Error(ErrorKind::usage, "--target " + text + ": " + why +
                                       "; give PROVIDER/MODEL[,weight=W][,tier=low|medium|high][,FIELD=VALUE], e.g. "
                                       "--target openai/gpt-4o-mini,weight=2");
  };
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const std::string& reference = parts.front();
  auto slash = reference.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == reference.size())
    throw usage("the target must start with PROVIDER/MODEL");
  json record = {{"provider", reference.substr(0, slash)}, {"model", reference.substr(slash + 1)}};
  for (size_t index = 1; index < parts.size(); ++index) {
    auto equals = parts[index].find('=');
    if (equals == std::string::npos || equals == 0) throw usage("'" + parts[index] + "' is not FIELD=VALUE");
    std::string key = parts[index].substr(0, equals), raw = parts[index].substr(equals + 1);
    json parsed = json::parse(raw, nullptr, false);
    record[key] = parsed.is_number() ? parsed : json(raw);
  }
  return record;
}

// --- the tables ------------------------------------------------------------

const std::vector<FieldSchema>& rag_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "collections", .type = FieldType::text_list,
       .help = "Collection to answer from (repeatable or comma-separated; replaces the list)",
       .default_value = json::array(), .flag = "--collection", .flag_style = FlagStyle::comma_separated,
       .value_name = "COLLECTION", .check = check_collection_names},
      {.name = "strategy", .type = FieldType::choice, .help = "How the search query is made from the conversation",
       .default_value = "plain", .choices = &enum_names<RagStrategy>(), .flag = "--strategy"},
      {.name = "window", .type = FieldType::integer, .help = "User messages read by concatenate and the rewrites",
       .default_value = 3, .minimum = 1, .maximum = 64, .flag = "--window"},
      {.name = "top", .type = FieldType::integer, .help = "Documents retrieved", .default_value = 5, .minimum = 1,
       .maximum = 128, .flag = "--top"},
      {.name = "min_score", .type = FieldType::number, .help = "Lowest document score", .default_value = 0.2,
       .minimum = 0.01, .maximum = 0.99, .flag = "--min-score"},
      {.name = "reranker", .type = FieldType::choice, .help = "Reranker of the fused candidates",
       .default_value = "lexical", .choices = &enum_names<RagReranker>(), .flag = "--reranker"},
      {.name = "include_references", .type = FieldType::boolean,
       .help = "Also retrieve the documents sharing a match's ref", .default_value = false,
       .flag = "--include-references", .flag_style = FlagStyle::switch_on},
      {.name = "rewrite_model", .type = FieldType::text,
       .help = "PROVIDER/MODEL for user_rewrite and full_rewrite (default: the gateway's model)",
       .flag = "--rewrite-model", .check = check_model_reference},
      {.name = "max_tool_iterations", .type = FieldType::integer,
       .help = "query_function: rounds of server-side searches before giving up", .default_value = 8,
       .minimum = 1, .maximum = 64, .flag = "--max-tool-iterations"},
  };
  return table;
}

// One routing target: where to send, how often, for which requests, and the
// sampling it needs (a model may want its own temperature or a lower cap).
const std::vector<FieldSchema>& route_target_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "provider", .type = FieldType::text, .help = "Provider name", .default_value = "", .required = true},
      {.name = "model", .type = FieldType::text, .help = "Upstream model id", .default_value = "", .required = true},
      {.name = "weight", .type = FieldType::number, .help = "Share of requests in loadbalance mode",
       .default_value = 1, .minimum = 0, .maximum = 1'000'000},
      {.name = "tier", .type = FieldType::choice, .help = "The complexity this target serves in complexity mode",
       .choices = &enum_names<ComplexityTier>()},
      {.name = "temperature", .type = FieldType::number, .help = "Sampling temperature for this target",
       .minimum = 0, .maximum = 2},
      {.name = "top_p", .type = FieldType::number, .help = "Nucleus sampling for this target", .minimum = 0,
       .maximum = 1},
      {.name = "max_tokens", .type = FieldType::integer, .help = "Longest answer in tokens for this target",
       .minimum = 1, .maximum = 10'000'000},
      {.name = "reasoning_effort", .type = FieldType::choice, .help = "Reasoning effort for this target",
       .choices = &enum_names<ReasoningEffort>()},
  };
  return table;
}

// mcp_servers: each record is a stdio server (command) or a streamable-HTTP
// one (url), never both; names are unique and usable in tool owners and logs.
void check_mcp_servers(const std::string& path, const json& value) {
  std::set<std::string> names;
  for (size_t index = 0; index < value.size(); ++index) {
    const json& server = value[index];
    const std::string record = path + "[" + std::to_string(index) + "]";
    auto name = server.value("name", "");
    if (name.empty() || name.size() > 64 ||
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
      invalid(record + ".name", "must be 1 to 64 of A-Z a-z 0-9 _ . -, got " + server.value("name", json("")).dump());
    if (!names.insert(name).second) invalid(path, "names the server '" + name + "' twice");
    bool has_command = !server.value("command", "").empty(), has_url = !server.value("url", "").empty();
    if (has_command == has_url)
      invalid(record, "needs either a command (a stdio server) or a url (a streamable-HTTP server), not both");
    if (has_url) {
      auto url = server.value("url", "");
      if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        invalid(record + ".url", "must start with http:// or https://, got '" + url + "'");
    }
    for (const auto& entry : server.value("env", json::array()))
      if (entry.get<std::string>().find('=') == std::string::npos || entry.get<std::string>().front() == '=')
        invalid(record + ".env", "entries are NAME=VALUE, got '" + entry.get<std::string>() + "'");
    for (const auto& entry : server.value("headers", json::array()))
      if (entry.get<std::string>().find(':') == std::string::npos || entry.get<std::string>().front() == ':')
        invalid(record + ".headers", "entries are 'Name: value', got '" + entry.get<std::string>() + "'");
    if (has_command && server.contains("headers")) invalid(record + ".headers", "apply to a url server only");
    if (has_url && (server.contains("args") || server.contains("env") || server.contains("cwd")))
      invalid(record, "args, env and cwd apply to a command server only");
  }
}

void check_tool_prefix(const std::string& path, const json& value) {
  auto prefix = value.get<std::string>();
  if (prefix.size() > 32 ||
      prefix.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
    invalid(path, "must be at most 32 of A-Z a-z 0-9 _ . -, got '" + prefix + "'");
}

const std::vector<FieldSchema>& mcp_server_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "name", .type = FieldType::text, .help = "Server name (in tool owners and its log file)",
       .required = true},
      {.name = "command", .type = FieldType::text, .help = "Program of a stdio server (looked up on PATH)"},
      {.name = "args", .type = FieldType::text_list, .help = "Its arguments"},
      {.name = "env", .type = FieldType::text_list, .help = "NAME=VALUE added to its environment"},
      {.name = "cwd", .type = FieldType::text, .help = "Its working directory"},
      {.name = "url", .type = FieldType::text, .help = "Endpoint of a streamable-HTTP server"},
      {.name = "headers", .type = FieldType::text_list, .help = "'Name: value' headers sent to a url server"},
      {.name = "allow", .type = FieldType::text_list, .help = "Only these of its tools (default: all)"},
      {.name = "deny", .type = FieldType::text_list, .help = "Never these of its tools"},
      {.name = "prefix", .type = FieldType::text,
       .help = "Put before its tool names (weir mcp serve; default: the server's name and '_' on a clash only)",
       .check = check_tool_prefix},
      {.name = "cache_seconds", .type = FieldType::integer, .help = "How long its tool list is reused",
       .default_value = 600, .minimum = 0, .maximum = 86'400},
      {.name = "timeout_ms", .type = FieldType::integer, .help = "Longest one tool call may take",
       .default_value = 60'000, .minimum = 10, .maximum = 3'600'000},
  };
  return table;
}

const std::vector<FieldSchema>& routing_schema() {
  static const json kDefaultClasses = json::array({"connection", "timeout", "rate_limit", "server_error"});
  static const std::vector<FieldSchema> table = {
      {.name = "targets", .type = FieldType::record_list,
       .help = "Upstream to route to (repeatable, in order): PROVIDER/MODEL[,weight=W][,tier=T][,FIELD=VALUE]",
       .default_value = json::array(), .fields = &route_target_schema(), .flag = "--target",
       .flag_style = FlagStyle::repeated, .value_name = "PROVIDER/MODEL[,KEY=VALUE]", .check = nullptr,
       .record_from_flag = route_target_from_flag},
      {.name = "mode", .type = FieldType::choice,
       .help = "fallback tries targets in order; loadbalance picks by weight; complexity picks by the request's tier",
       .default_value = "fallback", .choices = &enum_names<RoutingMode>(), .flag = "--route"},
      {.name = "attempts", .type = FieldType::integer, .help = "Tries per target before falling through",
       .default_value = 1, .minimum = 1, .maximum = 10, .flag = "--route-attempts"},
      {.name = "retry_on", .type = FieldType::text_list, .help = "Failure classes retried on the same target",
       .default_value = kDefaultClasses, .flag = "--retry-on", .flag_style = FlagStyle::comma_separated,
       .value_name = "CLASS", .check = check_failure_classes},
      {.name = "backoff_ms", .type = FieldType::integer, .help = "First wait between tries, doubled each time",
       .default_value = 250, .minimum = 0, .maximum = 60'000, .flag = "--retry-backoff-ms"},
      {.name = "max_retry_after_ms", .type = FieldType::integer,
       .help = "Longest Retry-After honoured; a longer one falls through at once", .default_value = 30'000,
       .minimum = 0, .maximum = 600'000, .flag = "--max-retry-after-ms"},
      {.name = "fall_through", .type = FieldType::text_list,
       .help = "Failure classes that move on to the next target (others end the request)",
       .default_value = kDefaultClasses, .flag = "--fall-through", .flag_style = FlagStyle::comma_separated,
       .value_name = "CLASS", .check = check_failure_classes},
      {.name = "attempt_timeout_ms", .type = FieldType::integer,
       .help = "Longest one try may take (default: the provider's total timeout)", .minimum = 10,
       .maximum = 3'600'000, .flag = "--attempt-timeout-ms"},
      {.name = "total_timeout_ms", .type = FieldType::integer, .help = "Deadline for every try of one model call",
       .minimum = 10, .maximum = 3'600'000, .flag = "--total-timeout-ms"},
      {.name = "breaker_failures", .type = FieldType::integer,
       .help = "Failures in a row that open a target's circuit (0: never)", .default_value = 5, .minimum = 0,
       .maximum = 1000, .flag = "--breaker-failures"},
      {.name = "breaker_cooldown_ms", .type = FieldType::integer,
       .help = "How long an open circuit skips its target before one request probes it",
       .default_value = 30'000, .minimum = 1, .maximum = 86'400'000, .flag = "--breaker-cooldown-ms"},
      {.name = "router_model", .type = FieldType::text,
       .help = "PROVIDER/MODEL that classifies complexity (default: the offline classifier)",
       .flag = "--router-model", .check = check_model_reference},
  };
  return table;
}

}  // namespace

// Counted in fixed windows (the minute, hour or UTC day a request starts in)
// shared by every weir process on the store (core/policy/limit_ledger.hpp).
const std::vector<FieldSchema>& limits_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "requests_per_minute", .type = FieldType::integer, .help = "Requests allowed per minute",
       .minimum = 1, .maximum = 1e9, .flag = "--limit-rpm"},
      {.name = "requests_per_hour", .type = FieldType::integer, .help = "Requests allowed per hour", .minimum = 1,
       .maximum = 1e9, .flag = "--limit-rph"},
      {.name = "requests_per_day", .type = FieldType::integer, .help = "Requests allowed per UTC day", .minimum = 1,
       .maximum = 1e9, .flag = "--limit-rpd"},
      {.name = "tokens_per_minute", .type = FieldType::integer,
       .help = "Input + output tokens per minute (estimated before the call, settled after)", .minimum = 1,
       .maximum = 1e12, .flag = "--limit-tpm"},
      {.name = "tokens_per_day", .type = FieldType::integer, .help = "Input + output tokens per UTC day",
       .minimum = 1, .maximum = 1e12, .flag = "--limit-tpd"},
      {.name = "concurrent_requests", .type = FieldType::integer, .help = "Requests answered at the same time",
       .minimum = 1, .maximum = 100'000, .flag = "--limit-concurrent"},
  };
  return table;
}

// Spend in USD from the request log's usage lines (streamed and cancelled
// requests included), per UTC day, week (from Monday) and calendar month.
const std::vector<FieldSchema>& budget_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "usd_per_day", .type = FieldType::number, .help = "USD per UTC day", .minimum = 0, .maximum = 1e9,
       .flag = "--budget-day"},
      {.name = "usd_per_week", .type = FieldType::number, .help = "USD per week (Monday to Sunday, UTC)",
       .minimum = 0, .maximum = 1e9, .flag = "--budget-week"},
      {.name = "usd_per_month", .type = FieldType::number, .help = "USD per UTC calendar month", .minimum = 0,
       .maximum = 1e9, .flag = "--budget-month"},
      {.name = "action", .type = FieldType::choice,
       .help = "Once spent: block refuses (429 budget_exceeded), warn answers with X-Weir-Budget-Warning",
       .default_value = "block", .choices = &enum_names<BudgetAction>(), .flag = "--budget-action"},
  };
  return table;
}

// The response cache: a stored answer replayed for the same request (exact)
// or for a prompt close enough to one answered before (semantic), within the
// same effective configuration and collection generations.
const std::vector<FieldSchema>& cache_schema() {
  static const std::vector<FieldSchema> table = {
      {.name = "mode", .type = FieldType::choice,
       .help = "exact: the same request; semantic: a prompt as similar as the threshold to one answered before",
       .default_value = "exact", .choices = &enum_names<CacheMode>(), .flag = "--cache"},
      {.name = "ttl_seconds", .type = FieldType::integer, .help = "How long a stored answer is replayed",
       .default_value = 3600, .minimum = 1, .maximum = 31'536'000, .flag = "--cache-ttl-seconds"},
      {.name = "threshold", .type = FieldType::number,
       .help = "Semantic mode: least cosine similarity of the prompts (local embedder) for a hit",
       .default_value = 0.85, .minimum = 0.5, .maximum = 1, .flag = "--cache-threshold"},
      {.name = "max_temperature", .type = FieldType::number,
       .help = "Requests sampled above this temperature bypass the cache", .default_value = 1.0, .minimum = 0,
       .maximum = 2, .flag = "--cache-max-temperature"},
  };
  return table;
}

namespace {

std::vector<FieldSchema> build_gateway_schema() {
  std::vector<FieldSchema> table = {
      {.name = "description", .type = FieldType::text, .help = "What the gateway is for", .default_value = "",
       .flag = "--description"},
      {.name = "provider", .type = FieldType::text, .help = "Provider name (see `weir provider list`)",
       .default_value = "", .required = true, .flag = "--provider", .value_name = "PROVIDER"},
      {.name = "model", .type = FieldType::text, .help = "Upstream model id", .default_value = "", .required = true,
       .flag = "--model"},
      {.name = "system", .type = FieldType::text, .help = "System instructions", .default_value = "",
       .flag = "--system"},
      {.name = "system_files", .type = FieldType::text_list, .help = "File whose text is appended to the instructions",
       .default_value = json::array(), .flag = "--system-file", .flag_style = FlagStyle::file_paths,
       .value_name = "FILE"},
      {.name = "system_urls", .type = FieldType::text_list, .help = "URL whose text is appended (cached 600 s)",
       .default_value = json::array(), .flag = "--system-url", .flag_style = FlagStyle::repeated,
       .check = check_urls},
      {.name = "prompt_template", .type = FieldType::text,
       .help = "Template for the user's message; must contain {prompt}", .default_value = "",
       .flag = "--prompt-template", .check = check_prompt_template},
      {.name = "prefill", .type = FieldType::text,
       .help = "Start of every answer (sent as a trailing assistant message)", .default_value = "",
       .flag = "--prefill"},
      {.name = "stop", .type = FieldType::text_or_list, .help = "Stop sequence (repeatable)",
       .default_value = json::array(), .flag = "--stop", .flag_style = FlagStyle::repeated},
      {.name = "temperature", .type = FieldType::number, .help = "Sampling temperature", .minimum = 0, .maximum = 2,
       .sampling = true, .flag = "--temperature"},
      {.name = "top_p", .type = FieldType::number, .help = "Nucleus sampling", .minimum = 0, .maximum = 1,
       .sampling = true, .flag = "--top-p"},
      {.name = "top_k", .type = FieldType::integer, .help = "Top-k sampling", .minimum = 1, .maximum = 1000,
       .sampling = true, .flag = "--top-k"},
      {.name = "presence_penalty", .type = FieldType::number, .help = "Penalty for tokens already present",
       .minimum = -2, .maximum = 2, .sampling = true, .flag = "--presence-penalty"},
      {.name = "frequency_penalty", .type = FieldType::number, .help = "Penalty by how often a token appeared",
       .minimum = -2, .maximum = 2, .sampling = true, .flag = "--frequency-penalty"},
      {.name = "seed", .type = FieldType::integer, .help = "Sampling seed", .minimum = -9.2e18, .maximum = 9.2e18,
       .sampling = true, .flag = "--seed"},
      {.name = "max_tokens", .type = FieldType::integer, .help = "Longest answer in tokens", .minimum = 1,
       .maximum = 10'000'000, .sampling = true, .flag = "--max-tokens"},
      {.name = "reasoning_effort", .type = FieldType::choice, .help = "How much a reasoning model thinks",
       .choices = &enum_names<ReasoningEffort>(), .sampling = true, .flag = "--reasoning-effort"},
      {.name = "verbosity", .type = FieldType::choice, .help = "How long the answers are",
       .choices = &enum_names<Verbosity>(), .sampling = true, .flag = "--verbosity"},
      {.name = "overridable", .type = FieldType::text_list,
       .help = "Fields a request may override (comma-separated or repeated)", .flag = "--overridable",
       .flag_style = FlagStyle::comma_separated, .check = check_overridable},
      {.name = "max_context_tokens", .type = FieldType::integer, .help = "Context budget in tokens", .minimum = 1,
       .maximum = 100'000'000, .flag = "--max-context-tokens"},
      {.name = "on_overflow", .type = FieldType::choice,
       .help = "What happens past the context budget (truncate drops the oldest messages)",
       .default_value = "error", .choices = &enum_names<OverflowPolicy>(), .flag = "--on-overflow"},
      {.name = "tool_result_window", .type = FieldType::integer, .help = "Keep only the last N tool results verbatim",
       .minimum = 0, .maximum = 10'000, .flag = "--tool-result-window"},
      // Server-side tools: skills (core/tools/skill_source.hpp) and built-ins.
      {.name = "skills", .type = FieldType::text_list,
       .help = "Skill the model may read with read_skill (see `weir skill list`)", .default_value = json::array(),
       .flag = "--skill", .flag_style = FlagStyle::comma_separated, .value_name = "SLUG", .check = check_skill_slugs},
      {.name = "hide_tools_unless_skill", .type = FieldType::boolean,
       .help = "Offer other server-side tools only once a skill the model read allows them", .default_value = false,
       .flag = "--hide-tools-unless-skill", .flag_style = FlagStyle::switch_on},
      {.name = "always_visible_tools", .type = FieldType::text_list,
       .help = "Server-side tool offered even when hide_tools_unless_skill hides the others",
       .default_value = json::array(), .flag = "--always-visible-tool", .flag_style = FlagStyle::comma_separated,
       .value_name = "TOOL", .check = check_no_repeats},
      {.name = "builtin_tools", .type = FieldType::text_list, .help = "Built-in server-side tools to offer: open_url, current_time, memory",
       .default_value = json::array(), .flag = "--builtin-tool", .flag_style = FlagStyle::comma_separated,
       .value_name = "TOOL", .check = check_builtin_tools},
      {.name = "log_messages", .type = FieldType::boolean,
       .help = "Keep each request's conversation in the request log (`weir logs show`); false keeps only its metadata",
       .default_value = true, .flag = "--log-messages"},
      // Nested blocks: a row plus its table. Unset (null) means the block is off.
      {.name = "rag", .type = FieldType::block, .help = "Collections to answer from and how to search them",
       .fields = &rag_schema(), .check = check_rag_block},
      {.name = "routing", .type = FieldType::block,
       .help = "Several upstreams behind the gateway: fallback, load balancing or complexity routing",
       .fields = &routing_schema(), .check = check_routing_block},
      {.name = "limits", .type = FieldType::block,
       .help = "Requests and tokens per window and concurrent requests, for every caller together",
       .fields = &limits_schema()},
      {.name = "budget", .type = FieldType::block, .help = "Most USD spent per day, week or month",
       .fields = &budget_schema()},
      {.name = "cache", .type = FieldType::block,
       .help = "Replay stored answers: the same request (exact) or a similar prompt (semantic), until a TTL",
       .fields = &cache_schema()},
      {.name = "mcp_servers", .type = FieldType::record_list,
       .help = "MCP servers whose tools the model may call (stdio command or streamable-HTTP url)",
       .fields = &mcp_server_schema(), .check = check_mcp_servers},
      {.name = "toolsets", .type = FieldType::text_list,
       .help = "Tool sets whose tools the model may call (see `weir toolset list`)", .default_value = json::array(),
       .flag = "--toolset", .flag_style = FlagStyle::comma_separated, .value_name = "NAME",
       .check = check_no_repeats},
      // Gateway tools (issue 16): HTTP functions and built-ins (function_fields.cpp).
      {.name = "functions", .type = FieldType::record_list,
       .help = "HTTP functions the model may call: {name, description, parameters, url, headers, timeout_ms}",
       .default_value = json::array(), .fields = &http_function_schema(), .check = check_function_list},
      {.name = "function_sources", .type = FieldType::text_list,
       .help = "URL answering {\"functions\": [...]} to GET (signed, cached 600 s)", .default_value = json::array(),
       .flag = "--function-source", .flag_style = FlagStyle::repeated, .check = check_urls},
      {.name = "open_url_allow_private", .type = FieldType::boolean,
       .help = "Let open_url fetch loopback, private and link-local addresses", .default_value = false,
       .flag = "--open-url-allow-private", .flag_style = FlagStyle::switch_on},
      // Structured output (core/engine/structured_output.hpp).
      {.name = "response_schema", .type = FieldType::object,
       .help = "JSON Schema every answer must match (a file, or the JSON itself); invalid answers are asked again",
       .flag = "--response-schema", .value_name = "FILE", .check = check_response_schema},
      {.name = "healing_attempts", .type = FieldType::integer,
       .help = "Answers asked for before a structured answer that stays invalid is an error",
       .default_value = 3, .minimum = 1, .maximum = 10, .flag = "--healing-attempts"},
      {.name = "json_only", .type = FieldType::boolean,
       .help = "Answer with the JSON itself (HTTP body application/json) instead of a chat completion",
       .default_value = false, .flag = "--json-only", .flag_style = FlagStyle::switch_on},
      // Policy (issue 17): guards on the request and the answer (guardrail_fields.cpp).
      {.name = "guardrails", .type = FieldType::record_list,
       .help = "Guards on the request and the answer: {type, on, action, patterns|kinds|words|max_*|schema}",
       .default_value = json::array(), .fields = &guardrail_schema(), .check = check_guardrail_list},
      // Policy (issue 17): the conversation scored before it is forwarded (moderation_fields.cpp).
      {.name = "moderation", .type = FieldType::block,
       .help = "Score the conversation (a judge model or a moderation endpoint); decline above a threshold",
       .fields = &moderation_schema(), .check = check_moderation_block},
      // Policy (issue 17): the owner's webhooks on each request and tool call (hook_fields.cpp).
      {.name = "hooks", .type = FieldType::record_list,
       .help = "Signed webhooks that may rewrite or stop a request: {url, events, timeout_ms, secret}",
       .default_value = json::array(), .fields = &hook_schema(), .check = check_hook_list},
  };
  // The default of `overridable` is every field a request may override except
  // the instructions, which a gateway keeps unless it opts in.
  json overridable_default = json::array();
  for (const auto& row : table)
    if (row.sampling) overridable_default.push_back(row.name);
  for (std::string_view extra :
       {"stop", "tools", "tool_choice", "response_format", "response_schema", "healing_attempts", "json_only"})
    overridable_default.push_back(extra);
  for (auto& row : table)
    if (row.name == "overridable") row.default_value = overridable_default;
  return table;
}

const std::vector<std::string_view>& overridable_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> list;
    for (const auto& row : gateway_schema())
      if (row.sampling) list.push_back(row.name);
    for (std::string_view extra : {"stop", "tools", "tool_choice", "response_format", "response_schema",
                                   "healing_attempts", "json_only", "system", "prefill"})
      list.push_back(extra);
    return list;
  }();
  return names;
}

std::vector<std::string> names_of(const std::vector<FieldSchema>& fields) {
  std::vector<std::string> names;
  for (const auto& field : fields) names.emplace_back(field.name);
  return names;
}

}  // namespace

const std::vector<std::string_view>& request_overridable_fields() { return overridable_names(); }

const std::vector<FieldSchema>& gateway_schema() {
  static const std::vector<FieldSchema> table = build_gateway_schema();
  return table;
}

const FieldSchema* find_field_schema(std::string_view path) {
  const std::vector<FieldSchema>* fields = &gateway_schema();
  while (true) {
    auto dot = path.find('.');
    auto head = path.substr(0, dot);
    const FieldSchema* found = nullptr;
    for (const auto& field : *fields)
      if (field.name == head) found = &field;
    if (!found || dot == std::string_view::npos) return found;
    if (!found->fields) return nullptr;
    fields = found->fields;
    path = path.substr(dot + 1);
  }
}

std::vector<FieldPath> leaf_fields() {
  std::vector<FieldPath> leaves;
  for (const auto& field : gateway_schema()) {
    if (field.type != FieldType::block) {
      leaves.push_back({std::string(field.name), &field});
      continue;
    }
    for (const auto& member : *field.fields)
      leaves.push_back({std::string(field.name) + "." + std::string(member.name), &member});
  }
  return leaves;
}

std::string_view unset_meaning(const FieldSchema& field) {
  if (field.sampling) return "(upstream default)";
  if (field.type == FieldType::integer || field.type == FieldType::number) return "(no limit)";
  return "(none)";
}

std::vector<std::string> closest_names(const std::string& wanted, const std::vector<std::string>& candidates) {
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& candidate : candidates) {
    auto distance = edit_distance(wanted, candidate);
    // Plausible: two edits (a swapped pair) or a third of the longer name, or one contains the other.
    size_t longest = std::max(wanted.size(), candidate.size());
    bool contains = !wanted.empty() && (candidate.find(wanted) != std::string::npos ||
                                        wanted.find(candidate) != std::string::npos);
    if (distance <= std::max<size_t>(2, longest / 3) || contains) ranked.emplace_back(distance, candidate);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& left, const auto& right) { return left.first < right.first; });
  std::vector<std::string> names;
  for (size_t index = 0; index < std::min<size_t>(3, ranked.size()); ++index) names.push_back(ranked[index].second);
  return names;
}

namespace {
// A block or one record: known keys only, each valid, the required ones set.
void check_object(const std::string& path, const std::vector<FieldSchema>& fields, const json& value) {
  auto known = names_of(fields);
  if (!value.is_object())
    invalid(path, "must be an object with the keys " + join({known.begin(), known.end()}) + ", got " + value.dump());
  for (const auto& [key, item] : value.items()) {
    const FieldSchema* member = nullptr;
    for (const auto& candidate : fields)
      if (candidate.name == key) member = &candidate;
    if (!member) {
      std::string message = "has an unknown key '" + key + "'";
      if (auto close = closest_names(key, known); !close.empty()) message += "; did you mean '" + close[0] + "'?";
      std::vector<std::string_view> listed(known.begin(), known.end());
      invalid(path, message + "; known keys: " + join(listed));
    }
    if (!item.is_null()) check_field_value(path + "." + key, *member, item);
  }
  for (const auto& member : fields)
    if (member.required && value.value(std::string(member.name), json()).is_null())
      invalid(path, "needs '" + std::string(member.name) + "'");
}
}  // namespace

void check_field_value(const std::string& path, const FieldSchema& field, const json& value) {
  auto check_text = [&](const json& item) {
    if (!item.is_string()) invalid(path, "must be a string, got " + item.dump());
  };
  switch (field.type) {
    case FieldType::text:
      check_text(value);
      break;
    case FieldType::text_list:
      if (!value.is_array()) invalid(path, "must be an array of strings, got " + value.dump());
      for (const auto& item : value) check_text(item);
      break;
    case FieldType::text_or_list:
      if (value.is_string()) break;
      if (!value.is_array()) invalid(path, "must be a string or an array of strings");
      if (value.size() > 16) invalid(path, "has more than 16 entries");
      for (const auto& item : value) check_text(item);
      break;
    case FieldType::boolean:
      if (!value.is_boolean()) invalid(path, "must be true or false, got " + value.dump());
      break;
    case FieldType::number:
    case FieldType::integer: {
      bool integer = field.type == FieldType::integer;
      auto range = format_number(field.minimum) + " to " + format_number(field.maximum);
      if (!value.is_number() || (integer && !value.is_number_integer()))
        invalid(path, std::string("must be ") + (integer ? "an integer" : "a number") + " from " + range + ", got " +
                          value.dump());
      double number = value.get<double>();
      if (!(number >= field.minimum && number <= field.maximum))
        invalid(path, "must be from " + range + ", got " + value.dump());
      break;
    }
    case FieldType::choice:
      if (!value.is_string() ||
          std::find(field.choices->begin(), field.choices->end(), value.get<std::string>()) == field.choices->end())
        invalid(path, "must be one of " + join(*field.choices) + ", got " + value.dump());
      break;
    case FieldType::block:
      check_object(path, *field.fields, value);
      break;
    case FieldType::object:
      if (!value.is_object()) invalid(path, "must be a JSON object, got " + value.dump());
      break;
    case FieldType::record_list:
      if (!value.is_array()) invalid(path, "must be an array of objects, got " + value.dump());
      for (size_t index = 0; index < value.size(); ++index) {
        check_object(path + "[" + std::to_string(index) + "]", *field.fields, value[index]);
      }
      break;
  }
  if (field.check) field.check(path, value);
}

std::string help_text(const FieldSchema& field) {
  std::string text(field.help);
  // Choices are not repeated here: the flag's value placeholder lists them.
  if ((field.type == FieldType::number || field.type == FieldType::integer) &&
             std::fabs(field.minimum) < 1e15 && std::fabs(field.maximum) < 1e15) {
    text += ", " + format_number(field.minimum) + ".." + format_number(field.maximum);
  }
  const json& fallback = field.default_value;
  if (fallback.is_number() || (fallback.is_string() && !fallback.get<std::string>().empty()))
    text += " (default " + (fallback.is_string() ? fallback.get<std::string>() : fallback.dump()) + ")";
  return text;
}

}  // namespace weir
