#include "core/policy/hooks.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"
#include "core/error.hpp"
#include "core/gateway/hook_fields.hpp"
#include "core/json_input.hpp"
#include "core/net/http_client.hpp"
#include "core/outbound_values.hpp"
#include "core/policy/outbound_signature.hpp"
#include "core/provider/upstream_call.hpp"
#include "core/redaction.hpp"

namespace weir {

namespace {

using SystemClock = std::chrono::system_clock;

// A hook's answer is read whole; anything longer is not an action list.
constexpr size_t kMostAnswerBytes = size_t{4} << 20;

// The media type of a Content-Type value, without parameters, in lower case.
std::string media_type(const std::string& content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
  return ascii_lowercase(type);
}

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

bool Hook::listens_to(std::string_view event) const {
  return std::find(events.begin(), events.end(), event) != events.end();
}

std::shared_ptr<const HookSet> HookSet::from_config(const json& block) {
  auto set = std::make_shared<HookSet>();
  if (!block.is_array()) return set;
  for (size_t index = 0; index < block.size(); ++index) {
    const auto& record = block[index];
    Hook hook;
    hook.name = record.value("name", "hook_" + std::to_string(index + 1));
    hook.url = record.value("url", "");
    for (const auto& event : record.value("events", json::array())) hook.events.push_back(event.get<std::string>());
    hook.timeout_ms = record.value("timeout_ms", kDefaultHookTimeoutMs);
    if (auto secret = record.find("secret"); secret != record.end() && secret->is_string())
      hook.secret = secret->get<std::string>();
    set->hooks_.push_back(std::move(hook));
  }
  return set;
}

bool HookSet::listens_to(std::string_view event) const {
  return std::any_of(hooks_.begin(), hooks_.end(), [event](const Hook& hook) { return hook.listens_to(event); });
}

void hook_answer_unusable(const std::string& hook_name, const std::string& why) {
  throw Error(ErrorKind::upstream, "hook '" + hook_name + "' answered " + why, "hook_failed");
}

json read_worker_actions(std::string_view body, const std::string& hook_name) {
  auto read = read_json(body);
  if (!read.ok())
    hook_answer_unusable(hook_name, std::string(kWorkerActionType) + " that is not JSON: " + read.problem->description);
  json actions = read.value.is_array() ? std::move(read.value) : json::array({std::move(read.value)});
  for (size_t index = 0; index < actions.size(); ++index) {
    const auto& action = actions[index];
    if (!action.is_object() || !action.contains("action") || !action["action"].is_string())
      hook_answer_unusable(hook_name, "an action " + std::to_string(index) +
                                          " that is not an object with a string \"action\": " +
                                          first_bytes(action.dump(), 200));
  }
  return actions;
}

HookDispatcher::HookDispatcher(std::shared_ptr<const HookSet> hooks, HookRequestInfo info, std::string home, Clock clock)
    : hooks_(std::move(hooks)), info_(std::move(info)), home_(std::move(home)), clock_(std::move(clock)) {}

json HookDispatcher::event_body(std::string_view event, json payload, SystemClock::time_point moment) const {
  json body = {{"event", event},
               {"gateway", info_.gateway},
               {"request_id", info_.request_id},
               {"user", text_or_null(info_.user)},
               {"conversation", text_or_null(info_.conversation)},
               {"metadata", info_.metadata},
               {"moment", rfc3339_utc(moment)}};
  for (auto& [key, value] : payload.items()) body[key] = std::move(value);
  return body;
}

std::string HookDispatcher::secret_for(const Hook& hook) {
  if (!hook.secret.empty()) return resolve_environment_references(hook.secret, "hook '" + hook.name + "' secret");
  if (home_key_.empty()) home_key_ = hook_key(home_);
  return home_key_;
}

void HookDispatcher::dispatch(std::string_view event, const std::function<json()>& payload,
                              const std::function<bool(const HookAnswer&)>& on_answer, const CancelToken& cancel) {
  if (!listens_to(event)) return;
  for (const auto& hook : hooks_->hooks()) {
    if (!hook.listens_to(event)) continue;
    if (cancel.cancelled()) throw Error(ErrorKind::interrupted, "cancelled");
    auto moment = clock_();
    const auto body = event_body(event, payload(), moment).dump();
    json note = {{"hook", hook.name}, {"event", event}};
    auto start = std::chrono::steady_clock::now();
    bool go_on = true;
    try {
      auto answer = call(hook, event, body, moment, cancel, note);
      go_on = on_answer(answer);
      note["outcome"] = answer.actions.empty() ? "continue" : "rewritten";
    } catch (const Error& error) {
      note["duration_ms"] = milliseconds_since(start);
      if (!note.contains("outcome"))
        note["outcome"] = error.kind() == ErrorKind::interrupted ? "cancelled" : "failed";
      note["error"] = error.what();
      notes_.push_back(std::move(note));
      throw;
    }
    note["duration_ms"] = milliseconds_since(start);
    notes_.push_back(std::move(note));
    if (!go_on) return;
  }
}

HookAnswer HookDispatcher::call(const Hook& hook, std::string_view, const std::string& body,
                                SystemClock::time_point moment, const CancelToken& cancel, json& note) {
  HttpRequest request;
  request.method = "POST";
  request.url = hook.url;
  request.body = body;
  request.connect_timeout_ms = std::min(hook.timeout_ms, 10'000);
  request.idle_timeout_ms = hook.timeout_ms;
  request.total_timeout_ms = hook.timeout_ms;
  HeaderList headers = {{"Content-Type", "application/json"},
                        {"Accept", std::string(kWorkerActionType) + ", application/json, */*"}};
  auto unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(moment.time_since_epoch()).count();
  for (const auto& [name, value] : signature_headers(secret_for(hook), unix_seconds, request.body))
    set_header(headers, name, value);
  request.headers = std::move(headers);

  const auto shown_url = redact_url(hook.url);
  HttpResponse response;
  try {
    response = fetch_http(request, cancel, kMostAnswerBytes);
  } catch (const Error& error) {
    if (error.kind() == ErrorKind::interrupted) throw;
    if (error.kind() == ErrorKind::upstream_timeout) {
      note["outcome"] = "timeout";
      throw Error(ErrorKind::upstream_timeout,
                  "hook '" + hook.name + "' did not answer within " + std::to_string(hook.timeout_ms) + " ms (" +
                      shown_url + "), so the request was stopped; raise its timeout_ms or make the service faster",
                  "hook_timeout");
    }
    throw Error(ErrorKind::upstream,
                "hook '" + hook.name + "' could not be called (" + shown_url + "), so the request was stopped: " +
                    redact_urls_in_text(error.what()),
                "hook_failed");
  }
  const int status = response.head.status;
  note["status"] = status;
  const std::string quoted = response.body.empty() ? std::string() : ": " + first_bytes(response.body, 500);
  if (status >= 400 && status <= 499) {
    note["outcome"] = "refused";
    throw Error(ErrorKind::permission,
                "hook '" + hook.name + "' refused the request (HTTP " + std::to_string(status) + ")" + quoted,
                "hook_refused");
  }
  if (status < 200 || status > 299) {
    Error failure(ErrorKind::upstream,
                  "hook '" + hook.name + "' answered HTTP " + std::to_string(status) + " (" + shown_url +
                      "), so the request was stopped" + quoted,
                  "hook_failed");
    failure.set_upstream_status(status);
    throw failure;
  }
  HookAnswer answer{&hook, json::array()};
  if (media_type(response.head.header("content-type").value_or("")) == kWorkerActionType) {
    answer.actions = read_worker_actions(response.body, hook.name);
    json names = json::array();
    for (const auto& action : answer.actions) names.push_back(action["action"]);
    note["actions"] = std::move(names);
  }
  return answer;
}

}  // namespace weir
