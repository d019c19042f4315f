// Tool limits — per-tool rate limits: how many calls of one tool may start
// per minute, hour or UTC day, and how many may run at once. They belong to
// a ToolSources document (`weir mcp serve --config`, a tool set) and its
// `--tool-limit` flags:
//   "tool_limits": {"getBook": {"requests_per_minute": 60, "concurrent_requests": 2}}
// keyed by the tool's name as offered, each with the request fields of a
// gateway's `limits` block (tokens mean nothing to a tool).
//
// Calls are counted in the home's limit ledger (core/policy/limit_ledger.hpp)
// under "tool:<source>/<its name at the source>" ("tool:MCP server
// 'files'/read_file": sources named alike share a count), so every weir process serving the tool
// (`weir mcp serve`, `/v1/mcp/toolsets/NAME`, a gateway's model) counts
// together and a restart keeps the counts. A call past a limit is refused
// before anything is sent: Error(rate_limited, "rate_limit_exceeded")
// naming the tool and the limit, with the seconds until it resets; an MCP
// client or a model sees it as a failed call it can act on.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/policy/limit_ledger.hpp"

namespace weir {

class Database;

// Checks a "tool_limits" value; Error(usage) naming `source` and the key at fault.
void check_tool_limits(const nlohmann::json& value, const std::string& source);

// Adds `from`'s limits to `into` (both checked tool_limits values): where
// both limit a tool's field, the stricter (smaller) stays, so a limit given
// in one place (a flag, a tool set, a config file) is never loosened by
// another.
void merge_tool_limits(nlohmann::json& into, const nlohmann::json& from);

// `--tool-limit TOOL=N/minute` (or /hour, /day, /concurrent) as the
// tool_limits entry it sets: {TOOL, {"requests_per_minute": N}}; Error(usage)
// naming the flag's value.
std::pair<std::string, nlohmann::json> parse_tool_limit_argument(const std::string& text);

class ToolCallLimiter {
 public:
  // A call admitted: holds its concurrency lease until destroyed.
  class Admitted {
   public:
    Admitted(std::shared_ptr<LimitLedger> ledger, Admission admission)
        : ledger_(std::move(ledger)), admission_(std::move(admission)) {}
    Admitted(Admitted&&) = default;
    Admitted& operator=(Admitted&&) = delete;
    Admitted(const Admitted&) = delete;
    Admitted& operator=(const Admitted&) = delete;
    ~Admitted();

   private:
    std::shared_ptr<LimitLedger> ledger_;
    Admission admission_;
  };

  // `limits`: the tool's checked tool_limits entry; `tool`: its name as
  // offered (for messages); `source`: where it comes from ("OpenAPI service
  // 'Library'") and `name_at_source` its name there, which the count is kept
  // under, so a tool renamed where it is served counts as itself.
  // Error(runtime) when the counters file cannot be opened.
  ToolCallLimiter(Database& database, const std::string& tool, const std::string& source,
                  const std::string& name_at_source, const nlohmann::json& limits);

  // Counts one call; Error(rate_limited) past a limit. Keep the result
  // while the call runs.
  [[nodiscard]] Admitted admit() const;

 private:
  std::shared_ptr<LimitLedger> ledger_;
  LimitScope scope_;
};

}  // namespace weir
