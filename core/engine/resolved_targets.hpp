// ResolvedTargets — what a target (gateway id, slug, name or @provider/model)
// resolves to in the store, remembered by a long-running server between
// requests.
//
// Resolving reads the gateway's row, its provider's and, for a routing block,
// every target's provider, parses the gateway's configuration and compiles
// its guardrails and reads its hooks: most of a
// routed request's own work in `weir serve`. The answer changes only when the
// gateways or providers tables do, and each moves a counter in table_versions
// (migration 8) in the same transaction as the change, so one indexed read
// tells whether a remembered answer is still the store's, whichever process
// changed it.
//
// Contract:
// - resolve() returns what read_resolved_target() would read now. Failures
//   (an unknown gateway) are not remembered: the next request reads again.
// - One ResolvedTargets serves one store; a server shares one between its
//   requests (thread-safe). A target is remembered until the tables change;
//   past kMaxTargets distinct targets, all are forgotten at once.
// - The answers are shared and immutable: copy what a request changes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/json_schema.hpp"
#include "core/policy/guardrails.hpp"
#include "core/policy/hooks.hpp"
#include "core/policy/moderation.hpp"
#include "core/provider/provider.hpp"
#include "core/routing/routed_provider.hpp"
#include "core/store/gateway_repository.hpp"

namespace weir {

class Database;

struct ResolvedTarget {
  Gateway gateway;
  ProviderConfig provider;                 // the gateway's (a routing block's first target's)
  std::shared_ptr<const RoutePlan> route;  // null: one upstream
  // The gateway's response_schema, compiled once per revision (null: none).
  std::shared_ptr<const JsonSchema> response_schema;
  // The gateway's guardrails, compiled (RE2 patterns, schemas) once per revision.
  std::shared_ptr<const GuardSet> guards;
  // The gateway's moderation block and its provider (nullopt: off).
  std::optional<ModerationSettings> moderation;
  ProviderConfig moderation_provider;
  // The gateway's hooks, read once per revision.
  std::shared_ptr<const HookSet> hooks;
};

// Reads the target from the store as it is now, in one read transaction.
std::shared_ptr<const ResolvedTarget> read_resolved_target(Database& database, const std::string& reference);

class ResolvedTargets {
 public:
  std::shared_ptr<const ResolvedTarget> resolve(Database& database, const std::string& reference);

 private:
  static constexpr size_t kMaxTargets = 256;

  std::mutex mutex_;
  int64_t version_ = -1;  // of the gateways and providers tables, when `known_` was read
  std::map<std::string, std::shared_ptr<const ResolvedTarget>, std::less<>> known_;
};

}  // namespace weir
