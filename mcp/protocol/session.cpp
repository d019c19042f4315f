#include "mcp/protocol/session.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "mcp/protocol/call_cancellation.hpp"
#include "mcp/protocol/log_level.hpp"
#include "mcp/protocol/versions.hpp"

namespace weir::mcp::protocol {

namespace {

void log_stderr(const std::string& message) { std::cerr << "weir mcp: " << message << std::endl; }

json tool_to_json(const ToolDefinition& tool, std::string_view version) {
  json object = {{"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
  if (version_at_least(version, "2025-06-18")) {
    if (!tool.title.empty()) object["title"] = tool.title;
    if (!tool.output_schema.is_null()) object["outputSchema"] = tool.output_schema;
  }
  if (version_at_least(version, "2025-03-26") && !tool.annotations.is_null()) object["annotations"] = tool.annotations;
  return object;
}

json result_to_json(const ToolResult& result, std::string_view version) {
  json object = {{"content", result.content}, {"isError", result.is_error}};
  if (version_at_least(version, "2025-06-18") && !result.structured_content.is_null())
    object["structuredContent"] = result.structured_content;
  return object;
}

struct Worker {
  std::shared_ptr<std::atomic<bool>> finished = std::make_shared<std::atomic<bool>>(false);
  std::thread thread;
};

// Closes the outbox when the handling of one message is over, however it ends.
class CloseWhenDone {
 public:
  explicit CloseWhenDone(std::shared_ptr<Outbox> outbox) : outbox_(std::move(outbox)) {}
  ~CloseWhenDone() {
    if (outbox_) outbox_->close();
  }
  // The call's thread closes it instead.
  void hand_over() { outbox_.reset(); }

 private:
  std::shared_ptr<Outbox> outbox_;
};

// Where the session's own notifications go. The tool holder's watcher shares
// it, not the session, so a change announced while the session is being
// destroyed touches only this.
struct NotificationChannel {
  std::mutex mutex;
  std::shared_ptr<Outbox> outbox;
  bool ended = false;
  std::atomic<bool> ready{false};  // the initialize result has been sent

  void send(const json& message) {
    std::shared_ptr<Outbox> target;
    {
      std::lock_guard lock(mutex);
      target = outbox;
    }
    // Sent outside the lock: a GET stream's outbox may block briefly. One
    // detached meanwhile drops the message, which is allowed.
    if (target && ready.load()) target->send(message);
  }
};

}  // namespace

struct Session::State {
  ServerInfo info;
  std::shared_ptr<ToolSetHolder> tools;
  SessionOptions options;
  std::shared_ptr<NotificationChannel> channel = std::make_shared<NotificationChannel>();
  std::shared_ptr<void> watch;  // keeps the list_changed watcher registered

  std::atomic<int> log_level{static_cast<int>(LogLevel::warning)};
  // Index in kSupportedVersions, set by `initialize`; atomic because a client
  // may (against the lifecycle) call a tool before initializing.
  std::atomic<size_t> version_index{0};
  std::atomic<bool> initialized{false};

  std::string_view version() const { return kSupportedVersions[version_index.load()]; }

  std::mutex in_flight_mutex;
  std::map<std::string, std::shared_ptr<CallCancellation>> in_flight;  // by id.dump()
  CallCounter calls;

  std::mutex workers_mutex;
  std::list<Worker> workers;

  void handle_request(const IncomingMessage& request, const std::shared_ptr<Outbox>& outbox, CloseWhenDone& closer);
  void handle_notification(const IncomingMessage& notification);
  json initialize(const json& params);
  json list_tools() const;
  void start_call(const IncomingMessage& request, const std::shared_ptr<Outbox>& outbox, CloseWhenDone& closer);
  void reap_workers(bool all);
};

Session::Session(ServerInfo info, std::shared_ptr<ToolSetHolder> tools, SessionOptions options)
    : state_(std::make_unique<State>()) {
  state_->info = std::move(info);
  state_->tools = tools ? std::move(tools) : std::make_shared<ToolSetHolder>(nullptr);
  state_->options = std::move(options);
  if (state_->tools->can_change())
    state_->watch = state_->tools->watch([channel = state_->channel] {
      channel->send({{"jsonrpc", "2.0"}, {"method", "notifications/tools/list_changed"}});
    });
}

Session::Session(ServerInfo info, std::shared_ptr<const ToolSet> tools, SessionOptions options)
    : Session(std::move(info), std::make_shared<ToolSetHolder>(std::move(tools)), std::move(options)) {}

Session::~Session() {
  state_->watch.reset();
  state_->reap_workers(true);
}

bool Session::initialized() const { return state_->initialized.load(); }

std::string_view Session::protocol_version() const { return state_->version(); }

void Session::handle(const IncomingMessage& message, std::shared_ptr<Outbox> outbox) {
  CloseWhenDone closer(outbox);
  switch (message.kind) {
    case MessageKind::invalid:
      outbox->send(make_error(message.id, error_code::invalid_request, "Invalid Request: " + message.problem));
      break;
    case MessageKind::response:
      break;  // this server sends no requests, so there is nothing to match a response to
    case MessageKind::notification:
      state_->handle_notification(message);
      break;
    case MessageKind::request:
      try {
        state_->handle_request(message, outbox, closer);
      } catch (const ProtocolError& error) {
        outbox->send(make_error(message.id, error.code(), error.what(), error.data()));
      }
      break;
  }
  state_->reap_workers(false);
}

void Session::cancel(const json& request_id) {
  std::shared_ptr<CallCancellation> cancellation;
  {
    std::lock_guard lock(state_->in_flight_mutex);
    auto found = state_->in_flight.find(request_id.dump());
    if (found != state_->in_flight.end()) cancellation = found->second;
  }
  // An unknown or finished request is ignored, as the spec asks: the
  // cancellation may simply have crossed the response.
  if (cancellation) cancellation->cancel();
}

void Session::cancel_all() {
  std::vector<std::shared_ptr<CallCancellation>> cancellations;
  {
    std::lock_guard lock(state_->in_flight_mutex);
    for (const auto& [key, cancellation] : state_->in_flight) cancellations.push_back(cancellation);
  }
  for (const auto& cancellation : cancellations) cancellation->cancel();
}

void Session::end() {
  cancel_all();
  std::shared_ptr<Outbox> attached;
  {
    std::lock_guard lock(state_->channel->mutex);
    state_->channel->ended = true;
    attached = std::move(state_->channel->outbox);
  }
  if (attached) attached->close();
}

bool Session::sends_notifications() const { return state_->tools->can_change(); }

bool Session::attach_notifications(std::shared_ptr<Outbox> outbox) {
  std::lock_guard lock(state_->channel->mutex);
  if (state_->channel->ended || state_->channel->outbox) return false;
  state_->channel->outbox = std::move(outbox);
  return true;
}

void Session::detach_notifications(const std::shared_ptr<Outbox>& outbox) {
  std::lock_guard lock(state_->channel->mutex);
  if (state_->channel->outbox == outbox) state_->channel->outbox.reset();
}

bool Session::wait_idle(std::optional<std::chrono::milliseconds> timeout) {
  bool idle = state_->calls.wait_idle(timeout);
  state_->reap_workers(false);
  return idle;
}

void Session::State::handle_request(const IncomingMessage& request, const std::shared_ptr<Outbox>& outbox,
                                    CloseWhenDone& closer) {
  const auto& method = request.method;
  const json params = request.params.is_null() ? json::object() : request.params;
  if (!params.is_object()) throw ProtocolError(error_code::invalid_params, "Invalid params: expected an object");
  if (method == "ping") {
    outbox->send(make_result(request.id, json::object()));
  } else if (method == "initialize") {
    outbox->send(make_result(request.id, initialize(params)));
    channel->ready = true;  // a list_changed never comes before the result that announces it
  } else if (method == "tools/list") {
    outbox->send(make_result(request.id, list_tools()));
  } else if (method == "tools/call") {
    start_call(request, outbox, closer);
  } else if (method == "logging/setLevel") {
    auto level = params.find("level");
    std::optional<LogLevel> parsed;
    if (level != params.end() && level->is_string()) parsed = parse_log_level(level->get<std::string>());
    if (!parsed)
      throw ProtocolError(error_code::invalid_params,
                          "Invalid params: \"level\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency");
    log_level.store(static_cast<int>(*parsed), std::memory_order_relaxed);
    outbox->send(make_result(request.id, json::object()));
  } else {
    throw ProtocolError(error_code::method_not_found, "Method not found: " + method);
  }
}

void Session::State::handle_notification(const IncomingMessage& notification) {
  if (notification.method == "notifications/cancelled") {
    if (!notification.params.is_object() || !notification.params.contains("requestId")) return;
    std::shared_ptr<CallCancellation> cancellation;
    {
      std::lock_guard lock(in_flight_mutex);
      auto found = in_flight.find(notification.params["requestId"].dump());
      if (found != in_flight.end()) cancellation = found->second;
    }
    if (cancellation) cancellation->cancel();
  }
  // notifications/initialized and anything else need no action.
}

json Session::State::initialize(const json& params) {
  if (initialized.load()) throw ProtocolError(error_code::invalid_request, "Invalid Request: already initialized");
  auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string())
    throw ProtocolError(error_code::invalid_params, "Invalid params: \"protocolVersion\" must be a string");
  if (initialized.exchange(true)) throw ProtocolError(error_code::invalid_request, "Invalid Request: already initialized");
  auto negotiated = negotiate_version(requested->get<std::string>());
  version_index.store(static_cast<size_t>(
      std::find(kSupportedVersions.begin(), kSupportedVersions.end(), negotiated) - kSupportedVersions.begin()));
  json server_info = {{"name", info.name}, {"version", info.version}};
  if (!info.title.empty()) server_info["title"] = info.title;
  json result = {{"protocolVersion", negotiated},
                 {"capabilities", {{"tools", {{"listChanged", tools->can_change()}}}, {"logging", json::object()}}},
                 {"serverInfo", server_info}};
  if (!info.instructions.empty()) result["instructions"] = info.instructions;
  return result;
}

json Session::State::list_tools() const {
  auto list = json::array();
  for (const auto& tool : tools->current()->tools()) list.push_back(tool_to_json(tool.definition, version()));
  return {{"tools", list}};
}

void Session::State::start_call(const IncomingMessage& request, const std::shared_ptr<Outbox>& outbox,
                                CloseWhenDone& closer) {
  const auto& params = request.params;
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string())
    throw ProtocolError(error_code::invalid_params, "Invalid params: \"name\" (the tool to call) must be a string");
  auto name = params["name"].get<std::string>();
  // The call keeps this snapshot: a tool removed by a later change still runs to its end.
  auto snapshot = tools->current();
  const RegisteredTool* tool = snapshot->find(name);
  if (!tool) throw ProtocolError(error_code::invalid_params, "Unknown tool: " + name);
  json arguments = json::object();
  if (params.contains("arguments")) {
    arguments = params["arguments"];
    if (arguments.is_null()) arguments = json::object();
    if (!arguments.is_object())
      throw ProtocolError(error_code::invalid_params, "Invalid params: \"arguments\" must be an object");
  }
  json progress_token = nullptr;
  if (params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("progressToken"))
    progress_token = params["_meta"]["progressToken"];

  auto key = request.id.dump();
  auto cancellation = std::make_shared<CallCancellation>();
  {
    std::lock_guard lock(in_flight_mutex);
    if (in_flight.count(key))
      throw ProtocolError(error_code::invalid_request, "Invalid Request: id " + key + " is already in use");
    if (in_flight.size() >= options.max_calls_in_flight) {
      auto result = ToolResult::error("weir is already running " + std::to_string(in_flight.size()) +
                                      " calls; wait for one to finish and try again");
      outbox->send(make_result(request.id, result_to_json(result, version())));
      return;
    }
    in_flight[key] = cancellation;
    calls.started();
    if (options.shared_counter) options.shared_counter->started();
  }

  closer.hand_over();
  std::lock_guard workers_lock(workers_mutex);
  auto& worker = workers.emplace_back();
  worker.thread = std::thread([this, snapshot, tool, id = request.id, key, cancellation, outbox,
                               arguments = std::move(arguments), progress_token = std::move(progress_token),
                               finished = worker.finished] {
    CallContext context(cancellation, progress_token, outbox, log_level, tool->definition.name);
    auto started = std::chrono::steady_clock::now();
    FinishedCall ended;
    ended.tool = &tool->definition;
    json response;
    try {
      if (options.on_call_finished)
        ended.arguments_bytes = arguments.dump(-1, ' ', false, json::error_handler_t::replace).size();
      auto result = tool->handler(arguments, context);
      auto milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      context.log(result.is_error ? LogLevel::warning : LogLevel::debug,
                  {{"tool", tool->definition.name}, {"is_error", result.is_error}, {"milliseconds", milliseconds}});
      response = make_result(id, result_to_json(result, version()));
      ended.is_error = result.is_error;
      if (result.is_error && options.on_call_finished)
        for (const auto& part : result.content) {
          auto text = part.is_object() ? part.find("text") : part.end();
          if (text != part.end() && text->is_string() && ended.error.size() < 1000)
            ended.error += text->get_ref<const std::string&>().substr(0, 1000 - ended.error.size());
        }
    } catch (const ProtocolError& error) {
      response = make_error(id, error.code(), error.what(), error.data());
      ended.is_error = true;
      ended.error = error.what();
    } catch (const std::exception& error) {
      // A bug, not a tool failure: say so on stderr and to the client.
      log_stderr("internal error in " + tool->definition.name + ": " + error.what());
      response = make_error(id, error_code::internal_error, std::string("Internal error: ") + error.what());
      ended.is_error = true;
      ended.error = error.what();
    }
    bool cancelled;
    {
      std::lock_guard lock(in_flight_mutex);
      in_flight.erase(key);
      cancelled = cancellation->cancelled();
    }
    if (!cancelled) outbox->send(response);
    outbox->close();
    if (options.on_call_finished) {
      ended.cancelled = cancelled;
      ended.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      if (!cancelled) ended.result_bytes = response.dump(-1, ' ', false, json::error_handler_t::replace).size();
      options.on_call_finished(ended);
    }
    finished->store(true);
    calls.finished();
    // Last: a transport waiting on it for shutdown may tear down what the
    // tools use as soon as it drops to zero.
    if (options.shared_counter) options.shared_counter->finished();
  });
}

void Session::State::reap_workers(bool all) {
  std::list<Worker> done;
  {
    std::lock_guard lock(workers_mutex);
    for (auto worker = workers.begin(); worker != workers.end();) {
      auto next = std::next(worker);
      if (all || worker->finished->load()) done.splice(done.end(), workers, worker);
      worker = next;
    }
  }
  for (auto& worker : done)
    if (worker.thread.joinable()) worker.thread.join();
}

}  // namespace weir::mcp::protocol
