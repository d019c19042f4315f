// Hooks — a gateway's `hooks` block (AIVAX "workers"): the owner's own web
// services, told of each request and each server-side tool call, which may
// rewrite the request, replace a tool's result, or stop the request.
//
// Events (hook_fields.hpp lists the record's fields):
//   message.received  after the request is prepared, before the model sees it
//                     (the `hooks` stage, core/engine/pipeline.hpp)
//   tool.called       before a server-side tool runs (the tool loop)
// Hooks run for every caller, public keys too: they are the owner's policy,
// not a tool the caller is offered. A dry run (no cancel token) calls none.
//
// A call is a POST of a JSON body (HookDispatcher::event_body), signed as
// HTTP functions are (outbound_signature.hpp: X-Weir-Timestamp and
// X-Weir-Signature), with the hook's `secret` as the HMAC key when it has one
// and the home's hook key otherwise. What the answer means:
//   2xx, Content-Type application/json+worker-action: actions (hook_actions
//       in core/engine/hook_actions.hpp apply them): one action object or an
//       array of them, each {"action": NAME, ...}
//   any other 2xx: continue unchanged
//   4xx: the hook refused the request: Error(permission, "hook_refused")
//       naming the hook and quoting the first bytes of its body (HTTP 403,
//       exit 5): a deliberate verdict of the owner's policy, not a failure
//   5xx or another status, an unreachable hook, an unreadable action body:
//       Error(upstream, "hook_failed") naming the hook (502, exit 4)
//   no answer within timeout_ms (the whole call): Error(upstream_timeout,
//       "hook_timeout") naming the hook (504, exit 4)
// There are no retries: a hook may have effects. Every call and its outcome
// is noted ({hook, event, status, outcome, actions, duration_ms, tool?,
// error?}); the engine puts the notes in the request log's metadata.hooks and
// in generation_context.hooks. Cancellation ends a call within ~50 ms with
// Error(interrupted).
//
// One HookDispatcher per request, used on the request's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.hpp"
#include "core/provider/chat.hpp"

namespace weir {

using json = nlohmann::json;

constexpr const char* kMessageReceived = "message.received";
constexpr const char* kToolCalled = "tool.called";
constexpr const char* kWorkerActionType = "application/json+worker-action";

struct Hook {
  std::string name;  // as configured, or hook_N
  std::string url;
  std::vector<std::string> events;
  int timeout_ms = 5'000;
  std::string secret;  // as written (may hold ${NAME}); empty: the home's hook key
  bool listens_to(std::string_view event) const;
};

class HookSet {
 public:
  // `block`: the gateway's effective `hooks` array (null or empty: none),
  // already checked by the schema rows.
  static std::shared_ptr<const HookSet> from_config(const json& block);

  const std::vector<Hook>& hooks() const { return hooks_; }
  bool listens_to(std::string_view event) const;

 private:
  std::vector<Hook> hooks_;
};

// What every event's body says about the request it belongs to.
struct HookRequestInfo {
  json gateway = nullptr;  // {id, name}, null for a bare @provider/model
  std::string request_id;
  std::string user;          // "" when unknown
  std::string conversation;  // "" when none
  json metadata = nullptr;
};

// A hook's answer: the actions it asked for (empty: continue unchanged).
struct HookAnswer {
  const Hook* hook = nullptr;
  json actions = json::array();
};

class HookDispatcher {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // `home`: the weir home whose hook key signs calls of hooks without a secret.
  HookDispatcher(std::shared_ptr<const HookSet> hooks, HookRequestInfo info, std::string home,
                 Clock clock = std::chrono::system_clock::now);

  bool listens_to(std::string_view event) const { return hooks_ && hooks_->listens_to(event); }

  // Calls every hook listening to `event`, in order, with `payload` (the
  // event's own fields) added to the common ones. `on_answer` is given each
  // answer before the next hook is called (so the next one sees the request
  // as rewritten), and returns whether to call the later hooks. Throws as the
  // file comment says; an Error `on_answer` throws is noted as the hook's
  // failure and rethrown.
  void dispatch(std::string_view event, const std::function<json()>& payload,
                const std::function<bool(const HookAnswer&)>& on_answer, const CancelToken& cancel);

  // The whole body sent for `event` (for tests and the README).
  json event_body(std::string_view event, json payload, std::chrono::system_clock::time_point moment) const;

  const json& notes() const { return notes_; }

 private:
  HookAnswer call(const Hook& hook, std::string_view event, const std::string& body,
                  std::chrono::system_clock::time_point moment, const CancelToken& cancel, json& note);
  std::string secret_for(const Hook& hook);

  std::shared_ptr<const HookSet> hooks_;
  HookRequestInfo info_;
  std::string home_;
  Clock clock_;
  std::string home_key_;  // read on the first call that needs it
  json notes_ = json::array();
};

// The actions of a worker-action body: one object or an array of objects,
// each with a string "action". Error(upstream, "hook_failed") naming the hook
// when the body is anything else.
json read_worker_actions(std::string_view body, const std::string& hook_name);

// Error(upstream, "hook_failed"): the hook answered something weir cannot use.
[[noreturn]] void hook_answer_unusable(const std::string& hook_name, const std::string& why);

}  // namespace weir
