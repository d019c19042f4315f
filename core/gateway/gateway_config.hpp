// GatewayConfig — the validated configuration of one gateway.
//
// A gateway is one JSON object (DESIGN.md "Gateway configuration"), described
// field by field by the schema table in config_schema.hpp. from_json()
// rejects unknown keys and out-of-range values with an Error(usage) that names
// the field and says what is allowed. fields() holds only what the user set —
// that is what is stored and exported, so defaults can improve without
// rewriting stored gateways; effective() fills in every default and is what
// `gateway show` prints.
//
// A gateway names either one upstream (`provider` and `model`) or several
// (the `routing` block's targets), never both.
//
// A nested block (`rag`: collections and how to search them) is one object;
// an update merges into it key by key (a null value unsets one key), so
// `gateway update G --top 8` keeps the collections and the strategy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gateway/config_schema.hpp"
#include "core/gateway/routing_settings.hpp"

namespace weir {

using json = nlohmann::json;

// The effective `rag` block: what the user set, defaults filled in.
struct RagSettings {
  std::vector<std::string> collections;  // names or ids, at least one
  // plain | concatenate | user_rewrite | full_rewrite | query_function
  std::string strategy = "plain";
  int window = 3;          // user messages read by concatenate and the rewrites
  int top = 5;             // 1..128 documents
  double min_score = 0.2;  // 0.01..0.99, see core/rag/fusion.hpp for its meaning
  std::string reranker = "lexical";  // none | rrf | lexical (the measured best)
  bool include_references = false;
  std::string rewrite_model;  // "provider/model"; empty: the gateway's own model
  int max_tool_iterations = 8;  // query_function: rounds of server-side tool calls
  json to_json() const;
  // The typed forms of `strategy` and `reranker` (validated when the config was read).
  RagStrategy strategy_kind() const;
  RagReranker reranker_kind() const;
};

class GatewayConfig {
 public:
  GatewayConfig() = default;
  // Validates `object` (a JSON object of config fields). Requires provider and model.
  static GatewayConfig from_json(const json& object);

  // Applies `changes` on top of this config (a null value unsets a field) and
  // validates the result; *this is untouched when validation fails.
  GatewayConfig merged(const json& changes) const;

  const json& fields() const noexcept { return fields_; }
  json effective() const;

  // The gateway's provider and model; with a routing block, its first
  // target's (what a dry run shows and a query rewrite uses by default).
  std::string provider() const;
  std::string model() const;
  // Every provider the gateway calls: its own or its targets', and the router
  // model's; in order, without repeats.
  std::vector<std::string> providers() const;
  std::string system() const;
  std::vector<std::string> system_files() const;
  std::vector<std::string> system_urls() const;
  std::string prompt_template() const;
  std::string prefill() const;
  std::vector<std::string> stop() const;
  // The sampling fields the user set, as upstream body fields.
  json sampling() const;
  std::vector<std::string> overridable() const;
  std::optional<long long> max_context_tokens() const;
  std::string on_overflow() const;  // "error" | "truncate"
  OverflowPolicy overflow_policy() const;
  // Tool results kept verbatim (older ones become a placeholder); nullopt: all.
  std::optional<int> tool_result_window() const;
  // One field's effective value by path ("temperature", "rag.top"); a block
  // that is off is null. Error(usage) for a path the schema does not know.
  json effective_value(std::string_view path) const;
  // The rag block with defaults, or nullopt when no collections are attached.
  std::optional<RagSettings> rag() const;
  // The routing block with defaults, or nullopt when the gateway has one upstream.
  std::optional<RoutingSettings> routing() const;

  // Names of every field, for help texts and completion.
  static std::vector<std::string_view> field_names();
  // The fields a request may override when the gateway allows it.
  static const std::vector<std::string_view>& overridable_candidates();
  // True for temperature, top_p, ... (fields sent to the upstream as they are).
  static bool is_sampling_field(std::string_view name);

 private:
  json fields_ = json::object();
};

}  // namespace weir
