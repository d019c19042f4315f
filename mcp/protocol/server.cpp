#include "mcp/protocol/server.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mcp/protocol/json_rpc.hpp"
#include "mcp/protocol/line_reader.hpp"
#include "mcp/protocol/log_level.hpp"
#include "mcp/protocol/message_writer.hpp"
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

struct RegisteredTool {
  ToolDefinition definition;
  ToolHandler handler;
};

struct Worker {
  std::shared_ptr<std::atomic<bool>> finished = std::make_shared<std::atomic<bool>>(false);
  std::thread thread;
};

}  // namespace

struct Server::State {
  ServerInfo info;
  ServerOptions options;
  std::vector<RegisteredTool> tools;
  std::map<std::string, size_t> tool_index;

  std::unique_ptr<MessageWriter> writer;
  std::atomic<int> log_level{static_cast<int>(LogLevel::warning)};
  // Index in kSupportedVersions, set by `initialize`; atomic because a client
  // may (against the lifecycle) call a tool before initializing.
  std::atomic<size_t> version_index{0};
  bool initialized = false;

  std::string_view version() const { return kSupportedVersions[version_index.load()]; }

  std::mutex in_flight_mutex;
  std::map<std::string, std::shared_ptr<CallCancellation>> in_flight;  // by id.dump()
  std::list<Worker> workers;                                           // reading thread only

  void send(const json& message) { writer->write(message); }

  void handle_line(const std::string& line);
  void handle_request(const IncomingMessage& request);
  void handle_notification(const IncomingMessage& notification);
  json initialize(const json& params);
  json list_tools() const;
  void start_call(const IncomingMessage& request);
  void reap_workers(bool all);
};

Server::Server(ServerInfo info, ServerOptions options) : state_(std::make_unique<State>()) {
  state_->info = std::move(info);
  state_->options = options;
}

Server::~Server() { state_->reap_workers(true); }

void Server::add_tool(ToolDefinition definition, ToolHandler handler) {
  if (state_->tool_index.count(definition.name))
    throw std::invalid_argument("two tools are named '" + definition.name + "'");
  state_->tool_index[definition.name] = state_->tools.size();
  state_->tools.push_back({std::move(definition), std::move(handler)});
}

void Server::serve(int input_fd, int output_fd) {
  // A client that goes away must not kill the server mid-answer with SIGPIPE:
  // the write fails instead and the rest of the answers are dropped.
  ::signal(SIGPIPE, SIG_IGN);
  state_->writer = std::make_unique<MessageWriter>(output_fd);
  LineReader reader(input_fd, state_->options.max_message_bytes);
  while (true) {
    auto line = reader.next();
    if (line.status == LineReader::Status::end) break;
    if (line.status == LineReader::Status::too_large) {
      log_stderr("dropped a message of " + std::to_string(line.bytes) + " bytes (limit " +
                 std::to_string(state_->options.max_message_bytes) + ")");
      state_->send(make_error(nullptr, error_code::invalid_request,
                              "message too large: " + std::to_string(line.bytes) + " bytes; the limit is " +
                                  std::to_string(state_->options.max_message_bytes) + " bytes"));
      continue;
    }
    state_->handle_line(line.text);
    state_->reap_workers(false);
  }
  state_->reap_workers(true);
}

void Server::State::handle_line(const std::string& line) {
  if (nesting_depth(line) > kMaxNesting) {
    send(make_error(nullptr, error_code::invalid_request,
                    "Invalid Request: JSON nested more than " + std::to_string(kMaxNesting) + " levels deep"));
    return;
  }
  auto message = json::parse(line, nullptr, false);
  if (message.is_discarded()) {
    send(make_error(nullptr, error_code::parse_error, "Parse error: the line is not valid JSON"));
    return;
  }
  auto incoming = classify(message);
  switch (incoming.kind) {
    case MessageKind::invalid:
      send(make_error(incoming.id, error_code::invalid_request, "Invalid Request: " + incoming.problem));
      return;
    case MessageKind::response:
      return;  // this server sends no requests, so there is nothing to match a response to
    case MessageKind::notification:
      handle_notification(incoming);
      return;
    case MessageKind::request:
      break;
  }
  try {
    handle_request(incoming);
  } catch (const ProtocolError& error) {
    send(make_error(incoming.id, error.code(), error.what(), error.data()));
  }
}

void Server::State::handle_request(const IncomingMessage& request) {
  const auto& method = request.method;
  const json params = request.params.is_null() ? json::object() : request.params;
  if (!params.is_object()) throw ProtocolError(error_code::invalid_params, "Invalid params: expected an object");
  if (method == "ping") {
    send(make_result(request.id, json::object()));
  } else if (method == "initialize") {
    send(make_result(request.id, initialize(params)));
  } else if (method == "tools/list") {
    send(make_result(request.id, list_tools()));
  } else if (method == "tools/call") {
    start_call(request);
  } else if (method == "logging/setLevel") {
    auto level = params.find("level");
    std::optional<LogLevel> parsed;
    if (level != params.end() && level->is_string()) parsed = parse_log_level(level->get<std::string>());
    if (!parsed)
      throw ProtocolError(error_code::invalid_params,
                          "Invalid params: \"level\" must be one of debug, info, notice, warning, error, critical, "
                          "alert, emergency");
    log_level.store(static_cast<int>(*parsed), std::memory_order_relaxed);
    send(make_result(request.id, json::object()));
  } else {
    throw ProtocolError(error_code::method_not_found, "Method not found: " + method);
  }
}

void Server::State::handle_notification(const IncomingMessage& notification) {
  if (notification.method == "notifications/cancelled") {
    if (!notification.params.is_object() || !notification.params.contains("requestId")) return;
    std::shared_ptr<CallCancellation> cancellation;
    {
      std::lock_guard lock(in_flight_mutex);
      auto found = in_flight.find(notification.params["requestId"].dump());
      if (found != in_flight.end()) cancellation = found->second;
    }
    // An unknown or finished request is ignored, as the spec asks: the
    // cancellation may simply have crossed the response.
    if (cancellation) cancellation->cancel();
  }
  // notifications/initialized and anything else need no action.
}

json Server::State::initialize(const json& params) {
  if (initialized) throw ProtocolError(error_code::invalid_request, "Invalid Request: already initialized");
  auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string())
    throw ProtocolError(error_code::invalid_params, "Invalid params: \"protocolVersion\" must be a string");
  auto negotiated = negotiate_version(requested->get<std::string>());
  version_index.store(static_cast<size_t>(
      std::find(kSupportedVersions.begin(), kSupportedVersions.end(), negotiated) - kSupportedVersions.begin()));
  initialized = true;
  json server_info = {{"name", info.name}, {"version", info.version}};
  if (!info.title.empty()) server_info["title"] = info.title;
  json result = {{"protocolVersion", negotiated},
                 {"capabilities", {{"tools", {{"listChanged", false}}}, {"logging", json::object()}}},
                 {"serverInfo", server_info}};
  if (!info.instructions.empty()) result["instructions"] = info.instructions;
  return result;
}

json Server::State::list_tools() const {
  auto list = json::array();
  for (const auto& tool : tools) list.push_back(tool_to_json(tool.definition, version()));
  return {{"tools", list}};
}

void Server::State::start_call(const IncomingMessage& request) {
  const auto& params = request.params;
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string())
    throw ProtocolError(error_code::invalid_params, "Invalid params: \"name\" (the tool to call) must be a string");
  auto name = params["name"].get<std::string>();
  auto found = tool_index.find(name);
  if (found == tool_index.end()) throw ProtocolError(error_code::invalid_params, "Unknown tool: " + name);
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
      send(make_result(request.id, result_to_json(result, version())));
      return;
    }
    in_flight[key] = cancellation;
  }

  const auto& tool = tools[found->second];
  auto& worker = workers.emplace_back();
  worker.thread = std::thread([this, &tool, id = request.id, key, cancellation, arguments = std::move(arguments),
                               progress_token = std::move(progress_token), finished = worker.finished] {
    CallContext context(cancellation, progress_token, *writer, log_level, tool.definition.name);
    auto started = std::chrono::steady_clock::now();
    json response;
    try {
      auto result = tool.handler(arguments, context);
      auto milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      context.log(result.is_error ? LogLevel::warning : LogLevel::debug,
                  {{"tool", tool.definition.name}, {"is_error", result.is_error}, {"milliseconds", milliseconds}});
      response = make_result(id, result_to_json(result, version()));
    } catch (const ProtocolError& error) {
      response = make_error(id, error.code(), error.what(), error.data());
    } catch (const std::exception& error) {
      // A bug, not a tool failure: say so on stderr and to the client.
      log_stderr("internal error in " + tool.definition.name + ": " + error.what());
      response = make_error(id, error_code::internal_error, std::string("Internal error: ") + error.what());
    }
    bool cancelled;
    {
      std::lock_guard lock(in_flight_mutex);
      in_flight.erase(key);
      cancelled = cancellation->cancelled();
    }
    if (!cancelled) send(response);
    finished->store(true);
  });
}

void Server::State::reap_workers(bool all) {
  for (auto worker = workers.begin(); worker != workers.end();) {
    if (all || worker->finished->load()) {
      if (worker->thread.joinable()) worker->thread.join();
      worker = workers.erase(worker);
    } else {
      ++worker;
    }
  }
}

}  // namespace weir::mcp::protocol
